//! `cargo +nightly fuzz run --fuzz-dir crates/fuzzing/fuzz bundle`: see
//! `deltabench_fuzzing::bundle` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| deltabench_fuzzing::bundle(data));
