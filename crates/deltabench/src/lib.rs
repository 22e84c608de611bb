//! The parts of the `deltabench` binary that benchmarks and tests reuse:
//! the wiring of a node to the network, and the generator of a signed
//! federation of Delta jurisdictions.
#![deny(missing_docs)]

pub mod delta;
pub mod federation;
