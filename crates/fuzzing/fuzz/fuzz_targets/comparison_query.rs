//! `cargo +nightly fuzz run --fuzz-dir crates/fuzzing/fuzz comparison_query`: see
//! `deltabench_fuzzing::comparison_query` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| deltabench_fuzzing::comparison_query(data));
