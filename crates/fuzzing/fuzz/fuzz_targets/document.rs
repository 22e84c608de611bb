//! `cargo +nightly fuzz run --fuzz-dir crates/fuzzing/fuzz document`: see
//! `deltabench_fuzzing::document` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| deltabench_fuzzing::document(data));
