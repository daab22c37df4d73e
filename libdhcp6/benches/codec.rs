//! Codec benchmark; filled in by the benchmark commit.

fn main() {}
