//! The option TLV view (RFC 8415 §21.1) and an iterator over a run of options.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          option-code          |           option-len          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          option-data                          |
//! |                      (option-len octets)                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::{Error, Reader, Result, Writer};
use crate::codes::OptionCode;

/// One option as it sits in a buffer: its code and a borrowed view of its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhcpOption<'a> {
    /// The option code.
    pub code: OptionCode,
    /// The option data (option-len octets, header excluded).
    pub data: &'a [u8],
}

impl<'a> DhcpOption<'a> {
    /// Writes the option back unchanged.
    pub fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.option(self.code, self.data)
    }

    /// Octets this option takes on the wire, header included.
    pub fn wire_len(&self) -> usize {
        4 + self.data.len()
    }
}

/// Iterator over a run of options in wire order. It yields `Err` once, for
/// the first option that overruns the area, and then stops for good, so a
/// caller cannot miss the error by skipping it and reading on.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    rest: Reader<'a>,
    done: bool,
}

impl<'a> Options<'a> {
    /// Options in `area` (the bytes after a header or a container's fixed fields).
    pub fn new(area: &'a [u8]) -> Self {
        Self {
            rest: Reader::new(area),
            done: false,
        }
    }

    /// Checks every option header in the area without decoding any data.
    pub fn validate(area: &'a [u8]) -> Result<()> {
        Self::new(area).try_for_each(|o| o.map(|_| ()))
    }

    /// The first option with `code`, if the area is well formed up to it.
    pub fn find(area: &'a [u8], code: OptionCode) -> Result<Option<DhcpOption<'a>>> {
        for opt in Self::new(area) {
            let opt = opt?;
            if opt.code == code {
                return Ok(Some(opt));
            }
        }
        Ok(None)
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<DhcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let item = (|| {
            let code = self.rest.u16()?;
            let len = usize::from(self.rest.u16()?);
            let data = self
                .rest
                .bytes(len)
                .map_err(|_| Error::OptionOverrun { code, len })?;
            Ok(DhcpOption {
                code: OptionCode::from(code),
                data,
            })
        })();
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    const TWO_OPTIONS: &[u8] = &[
        0x00, 0x07, 0x00, 0x01, // OPTION_PREFERENCE, length 1
        0x0a,                   //   pref-value 10
        0x00, 0x0e, 0x00, 0x00, // OPTION_RAPID_COMMIT, length 0
    ];

    /// C-007: options follow one another with no padding.
    #[test]
    fn c007_back_to_back() {
        let opts: Vec<_> = Options::new(TWO_OPTIONS).collect::<Result<_>>().unwrap();
        assert_eq!(opts.len(), 2);
        assert_eq!(opts[0].code, OptionCode::Preference);
        assert_eq!(opts[0].data, &[10]);
        assert_eq!(opts[1].code, OptionCode::RapidCommit);
        assert!(opts[1].data.is_empty());
    }

    /// C-004: an option-len past the end is an error, reported once.
    #[test]
    fn c004_overrun() {
        let bad = [0x00, 0x07, 0x00, 0x02, 0x0a];
        let mut it = Options::new(&bad);
        assert_eq!(
            it.next(),
            Some(Err(Error::OptionOverrun { code: 7, len: 2 }))
        );
        assert_eq!(it.next(), None);
        // A header cut short is truncation.
        let mut it = Options::new(&[0x00, 0x07, 0x00]);
        assert_eq!(it.next(), Some(Err(Error::Truncated)));
        assert_eq!(it.next(), None);
    }

    /// C-008: an unknown code is yielded like any other.
    #[test]
    fn c008_unknown_code_kept() {
        let data = [0xfe, 0xed, 0x00, 0x02, 0xab, 0xcd];
        let opt = Options::new(&data).next().unwrap().unwrap();
        assert_eq!(opt.code, OptionCode::Unknown(0xfeed));
        assert_eq!(opt.data, &[0xab, 0xcd]);
    }
}
