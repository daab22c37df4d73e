//! The DHCPv4 half of DHCPv4-over-DHCPv6 (RFC 7341 §5): an RFC 2131 client
//! machine ([`machine::Machine`]) and its lease ([`lease::Lease4`]), kept
//! apart from the DHCPv6 machine and driven by the same `now`. It lives
//! here, beside the DHCPv6 client, rather than in `libdhcp6::dhcp4`:
//! that module is the wire layer both dhcp6s and dhcp6c share, and this
//! machine draws on the client's own [`crate::random::RandomSource`] and
//! serves no other program. The DHCPv6 half that carries its messages is
//! `crate::dhcp4o6`.

pub mod lease;
pub mod machine;

pub use lease::{Lease4, Saved};
pub use machine::{Change, Conf4, Drop4, Event4, Machine, Reason};
