//! Domain names in RFC 1035 §3.1 label form, uncompressed (RFC 8415 §10).

use core::fmt;

use super::{Error, Result};

/// Longest encoded name, terminator included (RFC 1035 §3.1).
const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4); larger length octets are compression
/// pointers or extended labels, both forbidden in DHCPv6.
const MAX_LABEL_LEN: usize = 63;

/// A domain name kept in its wire encoding, so that it re-emits byte for byte.
/// A fully qualified name ends with the zero-length root label; a partial
/// name (only in Client FQDN, RFC 4704 §4.2) does not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName {
    wire: Vec<u8>,
}

impl DomainName {
    /// The wire encoding.
    pub fn as_wire(&self) -> &[u8] {
        &self.wire
    }

    /// True when the name ends with the root label.
    pub fn is_fqdn(&self) -> bool {
        // Walk the labels: a zero last octet may be the end of a partial
        // name's last label (`\000`) rather than the root label.
        let mut rest = self.wire.as_slice();
        while let Some((&len, tail)) = rest.split_first() {
            if len == 0 {
                return true;
            }
            match tail.get(usize::from(len)..) {
                Some(tail) => rest = tail,
                None => return false,
            }
        }
        false
    }

    /// The labels, without the root label.
    pub fn labels(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = self.wire.as_slice();
        core::iter::from_fn(move || {
            let (&len, tail) = rest.split_first()?;
            let (label, tail) = tail.split_at_checked(usize::from(len))?;
            rest = tail;
            (len != 0).then_some(label)
        })
    }

    /// Splits one name off the front of `data`. With `partial`, running out
    /// of data right after a label ends the name (RFC 4704 partial names).
    fn split(data: &[u8], partial: bool, code: u16) -> Result<(Self, &[u8])> {
        let bad = Error::BadDomainName { code };
        let mut at = 0usize;
        loop {
            if at == data.len() && partial && at > 0 {
                break;
            }
            let len = usize::from(*data.get(at).ok_or(bad)?);
            if len > MAX_LABEL_LEN {
                return Err(bad);
            }
            at += 1 + len;
            if at > data.len() || at > MAX_NAME_LEN {
                return Err(bad);
            }
            if len == 0 {
                break;
            }
        }
        let (name, rest) = data.split_at_checked(at).ok_or(bad)?;
        Ok((
            Self {
                wire: name.to_vec(),
            },
            rest,
        ))
    }

    /// Decodes a list of one or more fully qualified names that fills `data`
    /// exactly (domain-list options, RFC 8415 §10).
    pub fn parse_list(data: &[u8], code: u16) -> Result<Vec<Self>> {
        let mut rest = data;
        let mut names = Vec::new();
        if rest.is_empty() {
            return Err(Error::BadOptionLen { code, len: 0 });
        }
        while !rest.is_empty() {
            let (name, tail) = Self::split(rest, false, code)?;
            names.push(name);
            rest = tail;
        }
        Ok(names)
    }

    /// Decodes one name, fully qualified or partial, that fills `data`
    /// exactly. An empty `data` is the empty partial name.
    pub fn parse_partial(data: &[u8], code: u16) -> Result<Self> {
        if data.is_empty() {
            return Ok(Self { wire: Vec::new() });
        }
        let (name, rest) = Self::split(data, true, code)?;
        if rest.is_empty() {
            Ok(name)
        } else {
            Err(Error::BadDomainName { code })
        }
    }

    /// Encodes a name written as text (`example.com` or `example.com.`;
    /// `\.`, `\\` and `\DDD` escape octets). Both forms give a fully
    /// qualified name; use [`DomainName::from_text_partial`] for a partial one.
    pub fn from_text(text: &str) -> core::result::Result<Self, NameError> {
        Self::encode(text, true)
    }

    /// Like [`DomainName::from_text`], but without a trailing dot the name is
    /// left partial (no root label), as Client FQDN allows.
    pub fn from_text_partial(text: &str) -> core::result::Result<Self, NameError> {
        Self::encode(text, ends_with_root(text))
    }

    fn encode(text: &str, fqdn: bool) -> core::result::Result<Self, NameError> {
        let mut wire = Vec::with_capacity(text.len() + 2);
        let body = text
            .strip_suffix('.')
            .filter(|_| ends_with_root(text))
            .unwrap_or(text);
        if !body.is_empty() {
            let mut label: Vec<u8> = Vec::new();
            let mut bytes = body.bytes();
            let flush = |label: &mut Vec<u8>, wire: &mut Vec<u8>| {
                if label.is_empty() {
                    return Err(NameError::EmptyLabel);
                }
                let len = u8::try_from(label.len())
                    .ok()
                    .filter(|&l| usize::from(l) <= MAX_LABEL_LEN)
                    .ok_or(NameError::LabelTooLong)?;
                wire.push(len);
                wire.append(label);
                Ok(())
            };
            while let Some(b) = bytes.next() {
                match b {
                    b'.' => flush(&mut label, &mut wire)?,
                    b'\\' => {
                        let first = bytes.next().ok_or(NameError::BadEscape)?;
                        if first.is_ascii_digit() {
                            let d2 = bytes.next().ok_or(NameError::BadEscape)?;
                            let d3 = bytes.next().ok_or(NameError::BadEscape)?;
                            if !d2.is_ascii_digit() || !d3.is_ascii_digit() {
                                return Err(NameError::BadEscape);
                            }
                            let v = u16::from(first - b'0') * 100
                                + u16::from(d2 - b'0') * 10
                                + u16::from(d3 - b'0');
                            label.push(u8::try_from(v).map_err(|_| NameError::BadEscape)?);
                        } else {
                            label.push(first);
                        }
                    }
                    other => label.push(other),
                }
            }
            flush(&mut label, &mut wire)?;
        }
        if fqdn {
            wire.push(0);
        }
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Self { wire })
    }
}

/// True when `text` ends with the dot of the root label: a final `.` not
/// itself escaped: text `a\.` is the label `a.`; text `a\\.` is the label
/// `a\` and then the root.
fn ends_with_root(text: &str) -> bool {
    text.strip_suffix('.')
        .is_some_and(|body| body.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 0)
}

impl fmt::Display for DomainName {
    /// Text form with a trailing dot for a fully qualified name, as KAME prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for (i, label) in self.labels().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            any = true;
            for &b in label {
                match b {
                    b'.' | b'\\' => write!(f, "\\{}", char::from(b))?,
                    0x21..=0x7e => write!(f, "{}", char::from(b))?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
        }
        if self.is_fqdn() {
            f.write_str(".")?;
        } else if !any {
            // The empty partial name prints as nothing.
        }
        Ok(())
    }
}

/// Why a textual domain name cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Two dots in a row, or a leading dot.
    #[error("empty label")]
    EmptyLabel,
    /// A label over 63 octets.
    #[error("label longer than 63 octets")]
    LabelTooLong,
    /// The encoded name is over 255 octets.
    #[error("name longer than 255 octets")]
    NameTooLong,
    /// A backslash not followed by a character or three decimal digits up to 255.
    #[error("bad escape sequence")]
    BadEscape,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    const TWO_NAMES: &[u8] = &[
        0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // label "example"
        0x03, b'c', b'o', b'm',                         // label "com"
        0x00,                                           // root
        0x01, b'a',                                     // label "a"
        0x00,                                           // root
    ];

    /// C-012: labels, zero terminator, no compression.
    #[test]
    fn c012_name_list() {
        let names = DomainName::parse_list(TWO_NAMES, 24).unwrap();
        assert_eq!(names.len(), 2);
        assert_eq!(names[0].to_string(), "example.com.");
        assert_eq!(names[1].to_string(), "a.");
        let mut out = Vec::new();
        for n in &names {
            out.extend_from_slice(n.as_wire());
        }
        assert_eq!(out, TWO_NAMES);
        assert_eq!(DomainName::from_text("example.com").unwrap(), names[0]);
        assert_eq!(DomainName::from_text("example.com.").unwrap(), names[0]);
    }

    /// C-012: a compression pointer is rejected.
    #[test]
    fn c012_compression_pointer_rejected() {
        let data = [0x01, b'a', 0xc0, 0x00];
        assert_eq!(
            DomainName::parse_list(&data, 24),
            Err(Error::BadDomainName { code: 24 })
        );
    }

    #[test]
    fn unterminated_and_overlong_rejected() {
        assert!(DomainName::parse_list(&[0x01, b'a'], 24).is_err());
        assert!(DomainName::parse_list(&[0x05, b'a'], 24).is_err());
        assert!(DomainName::parse_list(&[], 24).is_err());
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.push(0);
        assert!(DomainName::parse_list(&long, 24).is_err());
        assert_eq!(DomainName::from_text("a..b"), Err(NameError::EmptyLabel));
        assert_eq!(
            DomainName::from_text(&"x".repeat(64)),
            Err(NameError::LabelTooLong)
        );
    }

    #[test]
    fn partial_names() {
        let n = DomainName::parse_partial(&[0x04, b'h', b'o', b's', b't'], 39).unwrap();
        assert!(!n.is_fqdn());
        assert_eq!(n.to_string(), "host");
        assert_eq!(DomainName::from_text_partial("host").unwrap(), n);
        assert!(DomainName::parse_partial(&[0x01, b'a', 0x00, 0x01], 39).is_err());
        assert_eq!(
            DomainName::parse_partial(&[], 39).unwrap().as_wire(),
            &[] as &[u8]
        );
    }

    /// Fuzz (duid target): a partial name whose last label ends in a zero
    /// octet was taken for a fully qualified one, printed with a trailing
    /// dot, and read back with an extra root label.
    #[test]
    fn fuzz_partial_name_ending_in_zero_octet() {
        let n = DomainName::from_text_partial("\u{3}www\u{7}example\u{3}com\u{0}").unwrap();
        assert_eq!(n.as_wire().len(), 18);
        assert!(!n.is_fqdn());
        assert_eq!(n.to_string(), "\\003www\\007example\\003com\\000");
        assert_eq!(DomainName::from_text_partial(&n.to_string()).unwrap(), n);
        let wire = [0x02, b'a', 0x00];
        let n = DomainName::parse_partial(&wire, 39).unwrap();
        assert!(!n.is_fqdn());
        assert_eq!(DomainName::from_text_partial(&n.to_string()).unwrap(), n);
        assert!(DomainName::parse_partial(&[0x01, b'a', 0x00], 39)
            .unwrap()
            .is_fqdn());
    }

    /// An escaped final dot belongs to the last label; it is not the root.
    #[test]
    fn escaped_final_dot_is_part_of_the_label() {
        let n = DomainName::from_text_partial("a\\.").unwrap();
        assert!(!n.is_fqdn());
        assert_eq!(n.as_wire(), &[0x02, b'a', b'.']);
        assert_eq!(n.to_string(), "a\\.");
        let n = DomainName::from_text("a\\.").unwrap();
        assert_eq!(n.as_wire(), &[0x02, b'a', b'.', 0x00]);
        assert_eq!(DomainName::from_text(&n.to_string()).unwrap(), n);
        let n = DomainName::from_text_partial("a\\\\.").unwrap();
        assert!(n.is_fqdn());
        assert_eq!(n.as_wire(), &[0x02, b'a', b'\\', 0x00]);
    }

    #[test]
    fn escapes_round_trip() {
        let n = DomainName::from_text("a\\.b\\032c.example.").unwrap();
        assert_eq!(n.labels().next().unwrap(), b"a.b c");
        assert_eq!(n.to_string(), "a\\.b\\032c.example.");
        assert_eq!(DomainName::from_text(&n.to_string()).unwrap(), n);
    }
}
