//! Unit tests of dhcp4s's core: IPC datagrams in, framed answers out.
