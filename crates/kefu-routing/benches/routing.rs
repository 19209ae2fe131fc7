//! Criterion benchmarks of the router (filled in below).
fn main() {}
