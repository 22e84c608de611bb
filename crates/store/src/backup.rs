//! Whole-node backup: the node's files and every tree of its store in one
//! checksummed file.
//!
//! Layout: the magic line `DELTABENCH-BACKUP v1\n`, then records, each a tag
//! byte and length-prefixed (big-endian) fields:
//!
//! - `F name data`: a file of the node (its config, its key);
//! - `T name`: the start of a store tree;
//! - `K key value`: an entry of the current tree;
//! - `E sha256`: the end, with the SHA-256 of every byte before the `E`.
//!
//! A restore writes into a fresh directory and only reports success once the
//! checksum at the end matched, so a truncated or altered backup never becomes
//! a node.

use crate::StoreError;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::Path;

const MAGIC: &[u8] = b"DELTABENCH-BACKUP v1\n";
/// The longest file, tree name, key or value a backup may hold.
const FIELD_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the backup file failed.
    #[error("backup file: {0}")]
    Io(#[from] io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file is not a deltabench backup, is truncated, or was altered.
    #[error("not a valid deltabench backup: {0}")]
    Invalid(String),
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> Self {
        BackupError::Store(e.into())
    }
}

/// A node file carried in a backup: its name and contents.
pub type NodeFile = (String, Vec<u8>);

/// What a backup holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BackupStats {
    /// Files of the node.
    pub files: usize,
    /// Store trees.
    pub trees: usize,
    /// Store entries over all trees.
    pub entries: u64,
}

struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

fn field(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(&(bytes.len() as u64).to_be_bytes())?;
    w.write_all(bytes)
}

/// Writes the node's `files` and every tree of `db` to `out`.
pub fn write_backup(
    out: impl Write,
    files: &[NodeFile],
    db: &sled::Db,
) -> Result<BackupStats, BackupError> {
    let mut w = Hashing {
        inner: io::BufWriter::new(out),
        hash: Sha256::new(),
    };
    let mut stats = BackupStats::default();
    w.write_all(MAGIC)?;
    for (name, data) in files {
        w.write_all(b"F")?;
        field(&mut w, name.as_bytes())?;
        field(&mut w, data)?;
        stats.files += 1;
    }
    for name in db.tree_names() {
        let tree = db.open_tree(&name)?;
        w.write_all(b"T")?;
        field(&mut w, &name)?;
        stats.trees += 1;
        for entry in tree.iter() {
            let (k, v) = entry?;
            w.write_all(b"K")?;
            field(&mut w, &k)?;
            field(&mut w, &v)?;
            stats.entries += 1;
        }
    }
    let digest = w.hash.clone().finalize();
    w.inner.write_all(b"E")?;
    w.inner.write_all(&digest)?;
    w.inner.flush()?;
    Ok(stats)
}

fn read_field(r: &mut impl Read) -> Result<Vec<u8>, BackupError> {
    let mut len = [0u8; 8];
    r.read_exact(&mut len).map_err(truncated)?;
    let len = u64::from_be_bytes(len);
    if len > FIELD_BYTES_MAX {
        return Err(BackupError::Invalid(format!("a field of {len} bytes")));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf).map_err(truncated)?;
    Ok(buf)
}

fn truncated(e: io::Error) -> BackupError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        BackupError::Invalid("the file is truncated".into())
    } else {
        BackupError::Io(e)
    }
}

/// Restores a backup: the store into `db_dir` (which must not exist yet), and
/// returns the node's files for the caller to write. On any error `db_dir` is
/// removed again.
pub fn restore_backup(
    input: impl Read,
    db_dir: &Path,
) -> Result<(Vec<NodeFile>, BackupStats), BackupError> {
    if db_dir.exists() {
        return Err(BackupError::Invalid(format!(
            "{} already exists; restore into a new directory",
            db_dir.display()
        )));
    }
    let result = restore_inner(input, db_dir);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(db_dir);
    }
    result
}

fn restore_inner(
    input: impl Read,
    db_dir: &Path,
) -> Result<(Vec<NodeFile>, BackupStats), BackupError> {
    let mut r = Hashing {
        inner: io::BufReader::new(input),
        hash: Sha256::new(),
    };
    let mut magic = vec![0u8; MAGIC.len()];
    r.read_exact(&mut magic).map_err(truncated)?;
    if magic != MAGIC {
        return Err(BackupError::Invalid(
            "it does not start with the backup header".into(),
        ));
    }
    let db = sled::Config::new().path(db_dir).open()?;
    let mut files = Vec::new();
    let mut stats = BackupStats::default();
    let mut tree: Option<sled::Tree> = None;
    loop {
        let expected = r.hash.clone().finalize();
        let mut tag = [0u8; 1];
        r.inner.read_exact(&mut tag).map_err(truncated)?;
        if tag[0] == b'E' {
            let mut digest = [0u8; 32];
            r.inner.read_exact(&mut digest).map_err(truncated)?;
            if digest[..] != expected[..] {
                return Err(BackupError::Invalid("the checksum does not match".into()));
            }
            let mut rest = [0u8; 1];
            if r.inner.read(&mut rest)? != 0 {
                return Err(BackupError::Invalid("data follows the end record".into()));
            }
            break;
        }
        r.hash.update(tag);
        match tag[0] {
            b'F' => {
                let name = String::from_utf8(read_field(&mut r)?)
                    .map_err(|_| BackupError::Invalid("a file name is not UTF-8".into()))?;
                if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                    return Err(BackupError::Invalid(format!("unsafe file name {name:?}")));
                }
                files.push((name, read_field(&mut r)?));
                stats.files += 1;
            }
            b'T' => {
                tree = Some(db.open_tree(read_field(&mut r)?)?);
                stats.trees += 1;
            }
            b'K' => {
                let t = tree
                    .as_ref()
                    .ok_or_else(|| BackupError::Invalid("an entry before any tree".into()))?;
                let k = read_field(&mut r)?;
                let v = read_field(&mut r)?;
                t.insert(k, v)?;
                stats.entries += 1;
            }
            other => {
                return Err(BackupError::Invalid(format!(
                    "unknown record tag {other:#04x}"
                )));
            }
        }
    }
    db.flush()?;
    Ok((files, stats))
}
