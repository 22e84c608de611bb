//! The parts of the `deltabench` binary that benchmarks and tests reuse:
//! the wiring of a node to the network.
#![deny(missing_docs)]

pub mod federation;
