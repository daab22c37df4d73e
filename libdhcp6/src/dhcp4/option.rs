//! The DHCPv4 option TLV (RFC 2132 §2) and an iterator over an option area.
//!
//! ```text
//!  Code   Len   Data           Pad    End
//! +-----+-----+-----+-----+   +-----+ +-----+
//! |  c  |  n  |  d1 | ... |   |  0  | | 255 |
//! +-----+-----+-----+-----+   +-----+ +-----+
//! ```
//!
//! Pad and End are single octets. What follows End in an area is not
//! options; the iterator hands it over whole as [`Item::Trailer`] so that it
//! can be written back.

use super::codes::OptionCode;
use super::{Error, Result};
use crate::wire::Reader;

/// One element of an option area, borrowed from the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// A run of this many Pad octets.
    Pad(usize),
    /// The End option.
    End,
    /// One instance of an option: its code and data (several instances of
    /// one code concatenate, RFC 3396).
    Option {
        /// The option code.
        code: OptionCode,
        /// The data (the length octet's worth, header excluded).
        data: &'a [u8],
    },
    /// The octets after End, up to the end of the area.
    Trailer(&'a [u8]),
}

/// Iterator over an option area in wire order. It yields `Err` once, for
/// the first option that overruns the area, and then stops for good.
#[derive(Debug, Clone)]
pub struct Items<'a> {
    rest: Reader<'a>,
    ended: bool,
    done: bool,
}

impl<'a> Items<'a> {
    /// Items in `area` (the options field, or an overloaded `file` or `sname`).
    pub fn new(area: &'a [u8]) -> Self {
        Self {
            rest: Reader::new(area),
            ended: false,
            done: false,
        }
    }

    fn step(&mut self) -> Result<Item<'a>> {
        if self.ended {
            self.done = true;
            return Ok(Item::Trailer(self.rest.rest()));
        }
        let code = self.rest.u8()?;
        match OptionCode::from(code) {
            OptionCode::Pad => {
                let mut run = 1;
                while self.rest.clone().u8() == Ok(0) {
                    self.rest.u8()?;
                    run += 1;
                }
                Ok(Item::Pad(run))
            }
            OptionCode::End => {
                self.ended = true;
                if self.rest.is_empty() {
                    self.done = true;
                }
                Ok(Item::End)
            }
            code => {
                // A code with no room left for its length octet is cut
                // short the same way as one whose data is.
                let len = self.rest.u8().map_err(|_| Error::OptionOverrun {
                    code: code.into(),
                    len: 0,
                })?;
                let len = usize::from(len);
                let data = self.rest.bytes(len).map_err(|_| Error::OptionOverrun {
                    code: code.into(),
                    len,
                })?;
                Ok(Item::Option { code, data })
            }
        }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<Item<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || (!self.ended && self.rest.is_empty()) {
            return None;
        }
        let item = self.step();
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_options_end_trailer() {
        let area = [0, 0, 53, 1, 1, 0, 255, 0, 0, 7];
        let items: Vec<_> = Items::new(&area).collect::<Result<_>>().unwrap();
        assert_eq!(
            items,
            vec![
                Item::Pad(2),
                Item::Option {
                    code: OptionCode::MessageType,
                    data: &[1]
                },
                Item::Pad(1),
                Item::End,
                Item::Trailer(&[0, 0, 7]),
            ]
        );
    }

    #[test]
    fn end_at_the_very_end_has_no_trailer_and_missing_end_is_allowed() {
        let items: Vec<_> = Items::new(&[255]).collect::<Result<_>>().unwrap();
        assert_eq!(items, vec![Item::End]);
        let items: Vec<_> = Items::new(&[1, 0]).collect::<Result<_>>().unwrap();
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn overrun_reported_once() {
        let mut it = Items::new(&[3, 8, 10, 0, 0, 1]);
        assert_eq!(
            it.next(),
            Some(Err(Error::OptionOverrun { code: 3, len: 8 }))
        );
        assert_eq!(it.next(), None);
        let mut it = Items::new(&[3]);
        assert_eq!(
            it.next(),
            Some(Err(Error::OptionOverrun { code: 3, len: 0 }))
        );
        assert_eq!(it.next(), None);
    }
}
