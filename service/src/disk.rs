//! Secrets at rest: one encrypted file per job deployment, replaced atomically.
//!
//! Layout of the data directory (mode 0700; one writable by group or others is refused, since
//! whoever can write it can replace the key or the files):
//! - `store.key`: 32 random bytes (mode 0600), the master key, unless a key file elsewhere is
//!   given (`--key-file`; beside the data is for development only). Two subkeys are derived
//!   from it: one encrypts, one names files.
//! - `<64 hex>.secrets`: `MAGIC | 24-byte nonce | XChaCha20-Poly1305(compact JSON)`. The file
//!   name is a keyed hash of the job identity, so names reveal no team or job without the key,
//!   and the identity is the associated data, so a file renamed or copied onto another job's
//!   name fails to decrypt instead of serving the wrong secrets.
//! - `.tmp-*`: files being written; left only by a crash, removed at start.
//!
//! One service instance per data directory: start-up removes the temp files of any other.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

use crate::auth::hex;
use crate::identity::JobIdentity;

/// Name of the master key file inside the data directory.
pub const KEY_FILE: &str = "store.key";
/// File-name suffix of a job's secrets.
pub const SECRETS_SUFFIX: &str = ".secrets";
/// Prefix of files being written.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Format tag; also bound into the associated data so another format's files never decrypt.
const MAGIC: &[u8; 8] = b"VDKCS1\n\0";
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

pub struct DiskStore {
    dir: PathBuf,
    cipher: XChaCha20Poly1305,
    name_key: [u8; 32],
}

impl DiskStore {
    /// Opens (creating if needed) a data directory: makes the directory and the key (in
    /// `key_file`, default `store.key` inside the directory), and removes temp files a crash
    /// left behind. A directory writable by group or others is refused.
    pub fn open(dir: &Path, key_file: Option<&Path>) -> io::Result<DiskStore> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mode = fs::metadata(dir)?.mode();
        if mode & 0o022 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the data directory {} is writable by group or others (mode {:o}); chmod 700 it",
                    dir.display(),
                    mode & 0o777
                ),
            ));
        }
        remove_stale_temp_files(dir)?;
        let key_path = key_file.map_or_else(|| dir.join(KEY_FILE), Path::to_path_buf);
        let master = load_or_create_key(&key_path)?;
        let encryption_key = derive(&master, b"vdk-control-service encryption v1");
        Ok(DiskStore {
            dir: dir.to_path_buf(),
            cipher: XChaCha20Poly1305::new(Key::from_slice(&encryption_key)),
            name_key: derive(&master, b"vdk-control-service file names v1"),
        })
    }

    /// The job's stored compact JSON, or `None` when nothing was ever stored.
    pub fn load(&self, id: &JobIdentity) -> io::Result<Option<Vec<u8>>> {
        let blob = match fs::read(self.path_of(id)) {
            Ok(blob) => blob,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if blob.len() < MAGIC.len() + NONCE_LEN || !blob.starts_with(MAGIC) {
            return Err(invalid_data("a secrets file has an unknown format"));
        }
        let (nonce, ciphertext) = blob[MAGIC.len()..].split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &associated_data(id),
                },
            )
            .map_err(|_| invalid_data("a secrets file failed authentication (corrupt, or moved from another job)"))?;
        Ok(Some(plaintext))
    }

    /// Replaces the job's stored JSON. Atomic: after a crash at any point the file holds either
    /// the old or the new map.
    pub fn save(&self, id: &JobIdentity, json: &[u8]) -> io::Result<()> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: json,
                    aad: &associated_data(id),
                },
            )
            .map_err(|_| io::Error::other("encryption failed"))?;
        let mut blob = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(MAGIC);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        write_atomically(&self.dir, &self.path_of(id), &blob)
    }

    /// Where a job's secrets live. Public within the crate for tests of the on-disk format.
    pub fn path_of(&self, id: &JobIdentity) -> PathBuf {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.name_key).expect("any key length");
        mac.update(&id.encode());
        self.dir
            .join(format!("{}{SECRETS_SUFFIX}", hex(&mac.finalize().into_bytes())))
    }
}

fn associated_data(id: &JobIdentity) -> Vec<u8> {
    let mut aad = MAGIC.to_vec();
    aad.extend_from_slice(&id.encode());
    aad
}

fn derive(master: &[u8; KEY_LEN], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn invalid_data(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

fn temp_path(dir: &Path) -> PathBuf {
    let mut raw = [0u8; 12];
    OsRng.fill_bytes(&mut raw);
    dir.join(format!("{TEMP_PREFIX}{}", hex(&raw)))
}

/// Creates a new file readable by the owner only; fails if it exists.
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

/// Writes into a temp file in the same directory, makes it durable, renames it over the target
/// (atomic on POSIX) and makes the rename durable by syncing the directory.
fn write_atomically(dir: &Path, target: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = temp_path(dir);
    let written = create_private(&temp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&temp, target)) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn remove_stale_temp_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            match fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Reads the master key, or makes one. A new key is written to a temp file and hard-linked
/// into place, so `store.key` never exists half-written and two starts cannot both create it.
fn load_or_create_key(path: &Path) -> io::Result<[u8; KEY_LEN]> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match read_key(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    let temp = temp_path(dir);
    let created = create_private(&temp)
        .and_then(|mut file| {
            file.write_all(&key)?;
            file.sync_all()
        })
        .and_then(|()| fs::hard_link(&temp, path));
    let _ = fs::remove_file(&temp);
    match created {
        Ok(()) => {
            sync_dir(dir)?;
            Ok(key)
        }
        // Another start won the race: use its key.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key(path),
        Err(e) => Err(e),
    }
}

fn read_key(path: &Path) -> io::Result<[u8; KEY_LEN]> {
    let mut file = File::open(path)?;
    if file.metadata()?.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is accessible by group or others; chmod 600 it", path.display()),
        ));
    }
    let mut key = [0u8; KEY_LEN];
    let mut extra = [0u8; 1];
    file.read_exact(&mut key)
        .map_err(|_| invalid_data("the store key file is shorter than 32 bytes"))?;
    if file.read(&mut extra)? != 0 {
        return Err(invalid_data("the store key file is longer than 32 bytes"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vdk-cs-disk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn id(job: &str) -> JobIdentity {
        JobIdentity {
            team: "t".into(),
            job: job.into(),
            deployment: "TODO".into(),
        }
    }

    #[test]
    fn round_trip_and_swap_detection() {
        let dir = temp_dir("swap");
        let store = DiskStore::open(&dir, None).unwrap();
        assert_eq!(store.load(&id("a")).unwrap(), None);
        store.save(&id("a"), b"{\"k\":\"v\"}").unwrap();
        assert_eq!(store.load(&id("a")).unwrap().unwrap(), b"{\"k\":\"v\"}");
        // A file copied onto another job's name does not decrypt.
        fs::copy(store.path_of(&id("a")), store.path_of(&id("b"))).unwrap();
        assert_eq!(store.load(&id("b")).unwrap_err().kind(), io::ErrorKind::InvalidData);
        // Same key, same names after reopening.
        let reopened = DiskStore::open(&dir, None).unwrap();
        assert_eq!(reopened.load(&id("a")).unwrap().unwrap(), b"{\"k\":\"v\"}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_readable_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("perm");
        DiskStore::open(&dir, None).unwrap();
        fs::set_permissions(dir.join(KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            DiskStore::open(&dir, None).err().unwrap().kind(),
            io::ErrorKind::PermissionDenied
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
