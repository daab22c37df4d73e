//! A whole DHCPv4 message, decoded ([`PacketRepr`]), and the record of how
//! its options were laid out on the wire ([`Layout`]).
//!
//! RFC 2131 §4.1 fixes the order options are read in: the options field,
//! then `file` when option 52 says it is overloaded, then `sname`. RFC 3396
//! §7 concatenates every instance of one code in that order into one value.
//! Parsing does both and records each instance, Pad run, End and trailer
//! byte in a [`Layout`]; emitting replays the layout while it still fits the
//! options, so a parsed message goes back out byte for byte, and otherwise
//! lays the options out afresh.

use core::net::Ipv4Addr;

use super::codes::{MessageType, Op, OptionCode};
use super::option::{Item, Items};
use super::packet::{Packet, MAGIC_COOKIE};
use super::repr::{ClientId, OptionRepr, Overload};
use super::{Error, Result, BOOTP_MIN_LEN, CHADDR_LEN, FILE_LEN, SNAME_LEN};
use crate::wire::Writer;

/// Largest DHCPv4 message the layer builds: a UDP payload.
pub const MAX_MESSAGE_LEN: usize = 65535;

/// One recorded element of an option area.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A run of Pad octets.
    Pad(usize),
    /// The End option.
    End,
    /// One instance of `options[index]` carrying `len` octets of its data.
    Frag { index: usize, len: u8 },
    /// Octets after End.
    Trailer(Vec<u8>),
}

/// The pieces of the three areas as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Recorded {
    options: Vec<Piece>,
    file: Option<Vec<Piece>>,
    sname: Option<Vec<Piece>>,
}

/// How a parsed message placed its options: which area, which instance,
/// where the Pads, End and trailing octets were. `Layout::default()` means
/// "none recorded": the canonical layout (every option in the options
/// field, split into 255-octet instances where longer, End, then Pad up to
/// [`BOOTP_MIN_LEN`]). A recorded layout is used while every option's data
/// still has exactly the length it was recorded with; after any other change
/// the message is laid out canonically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout(Option<Recorded>);

impl Layout {
    /// True when this records a parsed message's layout.
    pub fn is_recorded(&self) -> bool {
        self.0.is_some()
    }
}

/// A DHCPv4 message, decoded (RFC 2131 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRepr {
    /// BOOTREQUEST or BOOTREPLY.
    pub op: Op,
    /// Hardware address type.
    pub htype: u8,
    /// Hardware address length, at most 16.
    pub hlen: u8,
    /// Relay agent hops.
    pub hops: u8,
    /// Transaction ID.
    pub xid: u32,
    /// Seconds elapsed since the client began.
    pub secs: u16,
    /// Flags (the BROADCAST bit and reserved bits, kept as sent).
    pub flags: u16,
    /// Client IP address.
    pub ciaddr: Ipv4Addr,
    /// "Your" IP address.
    pub yiaddr: Ipv4Addr,
    /// Next server IP address.
    pub siaddr: Ipv4Addr,
    /// Relay agent IP address.
    pub giaddr: Ipv4Addr,
    /// The whole `chaddr` field; the hardware address is its first `hlen` octets.
    pub chaddr: [u8; CHADDR_LEN],
    /// The `sname` field; zeros when it carries options (overload), which
    /// the layout then writes instead.
    pub sname: [u8; SNAME_LEN],
    /// The `file` field; zeros when it carries options (overload), which
    /// the layout then writes instead.
    pub file: [u8; FILE_LEN],
    /// The options, one per code, in the order first met (options field,
    /// `file`, `sname`).
    pub options: Vec<OptionRepr>,
    /// Where the options were on the wire.
    pub layout: Layout,
}

/// Options met so far while parsing: one concatenated body per code.
struct Gather {
    slot: [Option<usize>; 256],
    codes: Vec<OptionCode>,
    data: Vec<Vec<u8>>,
}

impl Gather {
    fn new() -> Self {
        Self {
            slot: [None; 256],
            codes: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Records one instance; returns the option's index.
    fn add(&mut self, code: OptionCode, data: &[u8]) -> usize {
        let at = usize::from(code.value());
        let index = match self.slot.get(at).copied().flatten() {
            Some(i) => i,
            None => {
                let i = self.codes.len();
                self.codes.push(code);
                self.data.push(Vec::new());
                if let Some(s) = self.slot.get_mut(at) {
                    *s = Some(i);
                }
                i
            }
        };
        if let Some(d) = self.data.get_mut(index) {
            d.extend_from_slice(data);
        }
        index
    }

    fn get(&self, code: OptionCode) -> Option<&[u8]> {
        let i = self
            .slot
            .get(usize::from(code.value()))
            .copied()
            .flatten()?;
        self.data.get(i).map(Vec::as_slice)
    }

    /// Splits one area into pieces, gathering its options. Option 52 is
    /// refused inside an overloaded field.
    fn area(&mut self, area: &[u8], overloaded_field: bool) -> Result<Vec<Piece>> {
        let mut pieces = Vec::new();
        for item in Items::new(area) {
            pieces.push(match item? {
                Item::Pad(n) => Piece::Pad(n),
                Item::End => Piece::End,
                Item::Trailer(t) => Piece::Trailer(t.to_vec()),
                Item::Option { code, data } => {
                    if overloaded_field && code == OptionCode::Overload {
                        return Err(Error::MisplacedOverload);
                    }
                    let len = u8::try_from(data.len()).map_err(|_| Error::Truncated)?;
                    Piece::Frag {
                        index: self.add(code, data),
                        len,
                    }
                }
            });
        }
        Ok(pieces)
    }
}

impl PacketRepr {
    /// Decodes the message: header, options field, and the overloaded
    /// fields in RFC 2131 §4.1's order, concatenating split options
    /// (RFC 3396). Any malformed option fails the message.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Self> {
        let mut g = Gather::new();
        let options_pieces = g.area(p.options_area(), false)?;
        let overload = match g.get(OptionCode::Overload) {
            Some(d) => match OptionRepr::parse(OptionCode::Overload, d)? {
                OptionRepr::Overload(o) => Some(o),
                _ => None,
            },
            None => None,
        };
        let file_pieces = match overload {
            Some(o) if o.file() => Some(g.area(p.file(), true)?),
            _ => None,
        };
        let sname_pieces = match overload {
            Some(o) if o.sname() => Some(g.area(p.sname(), true)?),
            _ => None,
        };
        let options = g
            .codes
            .iter()
            .zip(&g.data)
            .map(|(&code, data)| OptionRepr::parse(code, data))
            .collect::<Result<Vec<_>>>()?;
        let mut chaddr = [0u8; CHADDR_LEN];
        chaddr.copy_from_slice(p.chaddr_field());
        let mut sname = [0u8; SNAME_LEN];
        if sname_pieces.is_none() {
            sname.copy_from_slice(p.sname());
        }
        let mut file = [0u8; FILE_LEN];
        if file_pieces.is_none() {
            file.copy_from_slice(p.file());
        }
        Ok(Self {
            op: p.op(),
            htype: p.htype(),
            hlen: p.hlen(),
            hops: p.hops(),
            xid: p.xid(),
            secs: p.secs(),
            flags: p.flags(),
            ciaddr: p.ciaddr(),
            yiaddr: p.yiaddr(),
            siaddr: p.siaddr(),
            giaddr: p.giaddr(),
            chaddr,
            sname,
            file,
            options,
            layout: Layout(Some(Recorded {
                options: options_pieces,
                file: file_pieces,
                sname: sname_pieces,
            })),
        })
    }

    /// Decodes a message from bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::parse(&Packet::new_checked(bytes)?)
    }

    /// Writes the message: the recorded layout while it fits, else the
    /// canonical one (see [`Layout`]).
    pub fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        if let Op::Unknown(op) = self.op {
            return Err(Error::BadOp(op));
        }
        if usize::from(self.hlen) > CHADDR_LEN {
            return Err(Error::BadHlen(self.hlen));
        }
        let data: Vec<Vec<u8>> = self.options.iter().map(OptionRepr::data_to_vec).collect();
        let start = w.len();
        w.u8(self.op.value())?;
        w.u8(self.htype)?;
        w.u8(self.hlen)?;
        w.u8(self.hops)?;
        w.u32(self.xid)?;
        w.u16(self.secs)?;
        w.u16(self.flags)?;
        for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            w.bytes(&a.octets())?;
        }
        w.bytes(&self.chaddr)?;
        match self.layout.0.as_ref().filter(|r| fits(r, &data)) {
            Some(rec) => {
                // The fields go on the wire as sname, file, options, but
                // their data was concatenated as options, file, sname: each
                // field starts where the fields read before it stopped.
                let mut after_options = vec![0usize; data.len()];
                advance(&rec.options, &mut after_options);
                let mut after_file = after_options.clone();
                advance(rec.file.as_deref().unwrap_or_default(), &mut after_file);
                let mut out = Out {
                    w,
                    options: &self.options,
                    data: &data,
                };
                match &rec.sname {
                    Some(p) => out.pieces(p, &mut after_file)?,
                    None => out.w.bytes(&self.sname)?,
                }
                match &rec.file {
                    Some(p) => out.pieces(p, &mut after_options)?,
                    None => out.w.bytes(&self.file)?,
                }
                out.w.bytes(&MAGIC_COOKIE)?;
                out.pieces(&rec.options, &mut vec![0usize; data.len()])
            }
            None => {
                w.bytes(&self.sname)?;
                w.bytes(&self.file)?;
                w.bytes(&MAGIC_COOKIE)?;
                self.emit_canonical(w, &data)?;
                // Pad to the BOOTP minimum (RFC 951's vend field).
                while w.len().saturating_sub(start) < BOOTP_MIN_LEN {
                    w.u8(OptionCode::Pad.value())?;
                }
                Ok(())
            }
        }
    }

    /// Every option in the options field, split into instances of at most
    /// 255 octets (RFC 3396 §5), then End. Overload (52) is left out: the
    /// canonical layout never overloads.
    fn emit_canonical(&self, w: &mut Writer<'_>, data: &[Vec<u8>]) -> Result<()> {
        for (o, d) in self.options.iter().zip(data) {
            if o.code() == OptionCode::Overload {
                continue;
            }
            let mut chunks = d.chunks(255).peekable();
            if chunks.peek().is_none() {
                w.u8(o.code().value())?;
                w.u8(0)?;
            }
            for chunk in chunks {
                w.u8(o.code().value())?;
                w.u8(u8::try_from(chunk.len()).map_err(|_| Error::NoSpace)?)?;
                w.bytes(chunk)?;
            }
        }
        Ok(w.u8(OptionCode::End.value())?)
    }

    /// The encoded message in a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; MAX_MESSAGE_LEN];
        let mut w = Writer::new(&mut buf);
        self.emit(&mut w)?;
        let len = w.len();
        buf.truncate(len);
        buf.shrink_to_fit();
        Ok(buf)
    }

    /// A BOOTREQUEST from an Ethernet client (`htype` 1) with hardware
    /// address `hw` (its first 16 octets at most), transaction `xid` and
    /// `options`; every other field zero and the layout canonical. What a
    /// client's DHCPDISCOVER, DHCPREQUEST and the others start from (RFC
    /// 2131 §4.4.1, table 5), before the fields of its state are set.
    pub fn boot_request(xid: u32, hw: &[u8], options: Vec<OptionRepr>) -> Self {
        let mut chaddr = [0u8; CHADDR_LEN];
        let n = hw.len().min(CHADDR_LEN);
        for (to, from) in chaddr.iter_mut().zip(hw) {
            *to = *from;
        }
        Self {
            op: Op::BootRequest,
            htype: 1,
            hlen: u8::try_from(n).unwrap_or(16),
            hops: 0,
            xid,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: [0; SNAME_LEN],
            file: [0; FILE_LEN],
            options,
            layout: Layout::default(),
        }
    }

    /// The client hardware address: the first `hlen` octets of `chaddr`.
    pub fn hw_addr(&self) -> &[u8] {
        let n = usize::from(self.hlen).min(CHADDR_LEN);
        self.chaddr.get(..n).unwrap_or_default()
    }

    /// The option with `code`, if present.
    pub fn option(&self, code: OptionCode) -> Option<&OptionRepr> {
        self.options.iter().find(|o| o.code() == code)
    }

    /// The DHCP message type (option 53); `None` means plain BOOTP.
    pub fn message_type(&self) -> Option<MessageType> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::MessageType(t) => Some(*t),
            _ => None,
        })
    }

    /// The client identifier (option 61), if present.
    pub fn client_id(&self) -> Option<&ClientId> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::ClientId(c) => Some(c),
            _ => None,
        })
    }

    /// The server identifier (option 54), if present.
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::ServerId(a) => Some(*a),
            _ => None,
        })
    }

    /// The requested IP address (option 50), if present.
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::RequestedIp(a) => Some(*a),
            _ => None,
        })
    }

    /// The option overload (option 52), if present.
    pub fn overload(&self) -> Option<Overload> {
        self.options.iter().find_map(|o| match o {
            OptionRepr::Overload(v) => Some(*v),
            _ => None,
        })
    }
}

/// True when `rec` accounts for exactly the data of every option.
fn fits(rec: &Recorded, data: &[Vec<u8>]) -> bool {
    let mut total = vec![0usize; data.len()];
    let mut seen = vec![false; data.len()];
    let areas = [Some(&rec.options), rec.file.as_ref(), rec.sname.as_ref()];
    for piece in areas.into_iter().flatten().flatten() {
        if let Piece::Frag { index, len } = piece {
            match (total.get_mut(*index), seen.get_mut(*index)) {
                (Some(t), Some(s)) => {
                    *t += usize::from(*len);
                    *s = true;
                }
                _ => return false,
            }
        }
    }
    seen.iter().all(|&s| s) && total.iter().zip(data).all(|(t, d)| *t == d.len())
}

/// Moves each option's read position past its instances in `pieces`.
fn advance(pieces: &[Piece], cursor: &mut [usize]) {
    for piece in pieces {
        if let Piece::Frag { index, len } = piece {
            if let Some(at) = cursor.get_mut(*index) {
                *at += usize::from(*len);
            }
        }
    }
}

/// Replays recorded pieces, handing out each option's data in order.
struct Out<'w, 'b, 'o> {
    w: &'w mut Writer<'b>,
    options: &'o [OptionRepr],
    data: &'o [Vec<u8>],
}

impl Out<'_, '_, '_> {
    /// Writes `pieces`; `cursor` holds where each option's data continues.
    fn pieces(&mut self, pieces: &[Piece], cursor: &mut [usize]) -> Result<()> {
        for piece in pieces {
            match piece {
                Piece::Pad(n) => (0..*n).try_for_each(|_| self.w.u8(OptionCode::Pad.value()))?,
                Piece::End => self.w.u8(OptionCode::End.value())?,
                Piece::Trailer(t) => self.w.bytes(t)?,
                Piece::Frag { index, len } => {
                    // fits() proved index and the lengths; get() keeps that a
                    // checked fact rather than an assumption.
                    let (Some(o), Some(d), Some(at)) = (
                        self.options.get(*index),
                        self.data.get(*index),
                        cursor.get_mut(*index),
                    ) else {
                        return Err(Error::NoSpace);
                    };
                    let end = *at + usize::from(*len);
                    let chunk = d.get(*at..end).ok_or(Error::NoSpace)?;
                    *at = end;
                    self.w.u8(o.code().value())?;
                    self.w.u8(*len)?;
                    self.w.bytes(chunk)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_request_is_a_bare_bootrequest_that_reads_back() {
        let hw = [2, 0x46, 0, 0, 0, 7];
        let options = vec![OptionRepr::MessageType(MessageType::Discover)];
        let m = PacketRepr::boot_request(7, &hw, options);
        assert_eq!((m.op, m.htype, m.hlen, m.xid), (Op::BootRequest, 1, 6, 7));
        assert_eq!(m.hw_addr(), hw.as_slice());
        assert_eq!(m.ciaddr, Ipv4Addr::UNSPECIFIED);
        let bytes = m.to_vec().unwrap();
        assert_eq!(bytes.len(), BOOTP_MIN_LEN);
        let back = PacketRepr::from_bytes(&bytes).unwrap();
        assert_eq!(back.hw_addr(), hw.as_slice());
        assert_eq!(back.message_type(), Some(MessageType::Discover));
        // A hardware address longer than chaddr keeps its first 16 octets.
        let long = PacketRepr::boot_request(1, &[9; 20], vec![]);
        assert_eq!((long.hlen, long.hw_addr()), (16, [9u8; 16].as_slice()));
    }
}
