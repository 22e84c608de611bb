//! `cargo +nightly fuzz run --fuzz-dir crates/fuzzing/fuzz roster`: see
//! `deltabench_fuzzing::roster` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| deltabench_fuzzing::roster(data));
