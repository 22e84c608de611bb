//! `deltabench backup` and `deltabench restore`.

use crate::cli::{BackupArgs, RestoreArgs};
use crate::config::{Loaded, write_atomic, write_config};
use anyhow::{Context, Result, bail};
use deltabench_store::Store;
use deltabench_store::backup::{restore_backup, write_backup};
use serde_json::json;

fn roster_file_name(alliance: &str) -> String {
    format!("{alliance}.roster.json")
}

pub fn backup(args: BackupArgs) -> Result<()> {
    let loaded = Loaded::read(&args.config)?;
    let data = loaded.resolve(&loaded.config.node.data_dir);
    let store =
        Store::open(&data).with_context(|| format!("opening the store in {}", data.display()))?;
    // The backup's config names its files by their place in the backup, so a
    // restore into any folder is self-consistent.
    let mut config = loaded.config.clone();
    config.node.key_file = "node.key".into();
    config.node.data_dir = "data".into();
    let mut files = Vec::new();
    let key_path = loaded.resolve(&loaded.config.node.key_file);
    files.push((
        "node.key".to_string(),
        std::fs::read(&key_path).with_context(|| format!("reading {}", key_path.display()))?,
    ));
    for a in &mut config.alliances {
        let path = loaded.resolve(&a.roster);
        let name = roster_file_name(&a.id);
        files.push((
            name.clone(),
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        ));
        a.roster = name.into();
    }
    let config_text = toml::to_string_pretty(&config)?;
    files.insert(0, ("node.toml".to_string(), config_text.into_bytes()));

    // Written beside the target and renamed into place; on any failure the
    // partial file, which holds the node's key, is removed.
    let tmp = args.out.with_extension("partial");
    let written = (|| -> Result<_> {
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let stats = write_backup(&file, &files, store.db())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &args.out)
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        Ok(stats)
    })();
    let stats = match written {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(&args.out)?.len();
    if args.json {
        println!(
            "{}",
            json!({"backup": args.out.display().to_string(), "bytes": bytes, "files": stats.files,
                   "trees": stats.trees, "entries": stats.entries, "documents": store.document_count()})
        );
    } else {
        println!(
            "wrote {} ({bytes} bytes): {} files, {} documents, {} store entries",
            args.out.display(),
            stats.files,
            store.document_count(),
            stats.entries
        );
    }
    Ok(())
}

pub fn restore(args: RestoreArgs) -> Result<()> {
    let existed = args.dir.exists();
    if existed && std::fs::read_dir(&args.dir)?.next().is_some() {
        bail!(
            "{} is not empty; restore into a new folder",
            args.dir.display()
        );
    }
    let file = std::fs::File::open(&args.from)
        .with_context(|| format!("cannot open {}", args.from.display()))?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let result = (|| -> Result<_> {
        let (files, stats) = restore_backup(file, &args.dir.join("data"))?;
        if !files.iter().any(|(n, _)| n == "node.toml") {
            bail!("the backup holds no node.toml");
        }
        for (name, data) in &files {
            write_atomic(&args.dir.join(name), data, name == "node.key")?;
        }
        // Check that what was restored opens as a node config.
        let loaded = Loaded::read(&args.dir.join("node.toml"))?;
        write_config(&loaded.path, &loaded.config)?;
        Ok(stats)
    })();
    let stats = match result {
        Ok(s) => s,
        Err(e) => {
            // Leave the folder as it was: gone if this command made it,
            // empty if it was there.
            if existed {
                if let Ok(entries) = std::fs::read_dir(&args.dir) {
                    for entry in entries.flatten() {
                        let p = entry.path();
                        let _ = if p.is_dir() {
                            std::fs::remove_dir_all(&p)
                        } else {
                            std::fs::remove_file(&p)
                        };
                    }
                }
            } else {
                let _ = std::fs::remove_dir_all(&args.dir);
            }
            return Err(e);
        }
    };
    if args.json {
        println!(
            "{}",
            json!({"config": args.dir.join("node.toml").display().to_string(), "files": stats.files, "entries": stats.entries})
        );
    } else {
        println!(
            "restored {} files and {} store entries into {}; run it with: deltabench run --config {}",
            stats.files,
            stats.entries,
            args.dir.display(),
            args.dir.join("node.toml").display()
        );
    }
    Ok(())
}
