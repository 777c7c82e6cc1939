//! Where uploaded bytes live: a small content-addressed blob store behind a trait, so that an
//! object store can take the local directory's place later without touching the domains.
//!
//! Bytes are first written to a staging file; only [`StagedBlob::commit`] gives them their real
//! name (the hex SHA-256 of the content), by a rename within one file system. A crash or a
//! refused upload leaves no half-written blob under a real name: a dropped staging file is
//! deleted, and a leftover one (after a crash) is only ever in the staging directory.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// How many leading bytes of a received file are kept, to judge its type by.
pub const HEAD_LEN: usize = 16;

/// A file received and staged, not yet stored under its name.
pub struct ReceivedFile {
    pub staged: Box<dyn StagedBlob>,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    /// The first bytes ([`HEAD_LEN`] at most).
    pub head: Vec<u8>,
    /// The file name the client gave, if any.
    pub file_name: Option<String>,
}

/// Bytes being received, not yet stored under their name.
pub trait StagedBlob: Write + Send {
    /// Stores the bytes under `sha256` (the hex digest of exactly what was written). Storing
    /// content that is there already keeps the one copy.
    fn commit(self: Box<Self>, sha256: &str) -> io::Result<()>;
}

pub trait BlobStore: Send + Sync {
    /// Begins receiving a blob.
    fn stage(&self) -> io::Result<Box<dyn StagedBlob>>;
    /// Opens a stored blob for reading.
    fn open(&self, sha256: &str) -> io::Result<Box<dyn Read + Send>>;
}

/// Blobs in a local directory: `<dir>/ab/cd/abcd…` by digest, staging files in `<dir>/tmp`.
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn open_dir(root: &Path) -> io::Result<LocalBlobs> {
        fs::create_dir_all(root.join("tmp"))?;
        Ok(LocalBlobs {
            root: root.to_owned(),
        })
    }

    fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        blob_path(&self.root, sha256)
    }
}

fn blob_path(root: &Path, sha256: &str) -> io::Result<PathBuf> {
    let well_formed = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a blob name is a lower-case hex SHA-256",
        ));
    }
    Ok(root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
}

struct LocalStaged {
    file: tempfile::NamedTempFile,
    root: PathBuf,
}

impl Write for LocalStaged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl StagedBlob for LocalStaged {
    fn commit(self: Box<Self>, sha256: &str) -> io::Result<()> {
        let path = blob_path(&self.root, sha256)?;
        if path.exists() {
            // The same content is stored already; the staging file is deleted on drop.
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        // Durable before it is named: a crash after the rename never shows a short blob.
        self.file.as_file().sync_all()?;
        self.file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl BlobStore for LocalBlobs {
    fn stage(&self) -> io::Result<Box<dyn StagedBlob>> {
        let file = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(self.root.join("tmp"))?;
        Ok(Box::new(LocalStaged {
            file,
            root: self.root.clone(),
        }))
    }

    fn open(&self, sha256: &str) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(self.path_of(sha256)?)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn entries(dir: &Path) -> usize {
        fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
    }

    #[test]
    fn committed_blobs_are_named_by_digest_and_dropped_ones_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open_dir(dir.path()).unwrap();

        let mut dropped = blobs.stage().unwrap();
        dropped.write_all(b"half").unwrap();
        drop(dropped);
        assert_eq!(entries(&dir.path().join("tmp")), 0);

        for _ in 0..2 {
            let mut staged = blobs.stage().unwrap();
            staged.write_all(b"hello").unwrap();
            staged.commit(DIGEST).unwrap();
        }
        let mut read = String::new();
        blobs
            .open(DIGEST)
            .unwrap()
            .read_to_string(&mut read)
            .unwrap();
        assert_eq!(read, "hello");
        assert_eq!(entries(&dir.path().join("tmp")), 0);
        assert_eq!(entries(&dir.path().join("2c").join("f2")), 1);
    }

    #[test]
    fn names_that_are_not_digests_reach_no_path() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open_dir(dir.path()).unwrap();
        for name in ["../../etc/passwd", "", &DIGEST.to_uppercase(), &DIGEST[1..]] {
            assert!(blobs.open(name).is_err(), "{name}");
        }
    }
}
