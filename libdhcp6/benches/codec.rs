//! Codec benchmark (filled in below).

fn main() {}
