//! Writes the seed inputs of every fuzz target to `DIR/<target>/seed-N`,
//! where cargo-fuzz starts its corpus from.
//!
//! `cargo run -p deltabench-fuzzing --bin fuzz-seeds -- DIR`

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz-seeds DIR");
        std::process::exit(2);
    };
    for target in deltabench_fuzzing::TARGETS {
        let folder = dir.join(target);
        std::fs::create_dir_all(&folder)?;
        let seeds = deltabench_fuzzing::seeds(target);
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(folder.join(format!("seed-{i}")), seed)?;
        }
        println!("{target}: {} seeds in {}", seeds.len(), folder.display());
    }
    Ok(())
}
