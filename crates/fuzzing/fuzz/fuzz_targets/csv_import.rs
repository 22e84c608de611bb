//! `cargo +nightly fuzz run --fuzz-dir crates/fuzzing/fuzz csv_import`: see
//! `deltabench_fuzzing::csv_import` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| deltabench_fuzzing::csv_import(data));
