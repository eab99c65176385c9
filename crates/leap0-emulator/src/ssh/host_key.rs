//! The gateway's ed25519 host key, made once and kept in the data dir, so a `known_hosts`
//! entry stays valid across restarts of the emulator.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rand::rngs::OsRng;
use rand::TryRngCore;
use russh::keys::ssh_key::{self, private::Ed25519Keypair, LineEnding};
use russh::keys::{HashAlg, PrivateKey};

/// File name of the private key inside the data dir; the public key sits beside it with
/// `.pub` appended, in the one-line form `known_hosts` entries use.
pub const FILE_NAME: &str = "ssh_host_ed25519_key";

#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error("could not read or write the ssh host key {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the ssh host key {path} is not an unencrypted OpenSSH private key")]
    Format {
        path: PathBuf,
        #[source]
        source: ssh_key::Error,
    },
    #[error("the OS random number generator failed")]
    Rng(#[from] rand::rand_core::OsError),
}

/// The key in `<data_dir>/ssh_host_ed25519_key`, generated (mode 0600) when missing.
pub fn load_or_create(data_dir: &Path) -> Result<PrivateKey, HostKeyError> {
    let path = data_dir.join(FILE_NAME);
    let io_error = |source| HostKeyError::Io {
        path: path.clone(),
        source,
    };
    let key = match fs::read_to_string(&path) {
        Ok(pem) => parse(&path, &pem)?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => create(&path)?,
        Err(err) => return Err(io_error(err)),
    };
    write_public(&path, &key);
    Ok(key)
}

/// A new key at `path`, or the key another emulator sharing the data dir put there first.
fn create(path: &Path) -> Result<PrivateKey, HostKeyError> {
    let io_error = |source| HostKeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let key = generate()?;
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|source| HostKeyError::Format {
            path: path.to_path_buf(),
            source,
        })?;
    if publish(path, pem.as_bytes()).map_err(io_error)? {
        Ok(key)
    } else {
        let pem = fs::read_to_string(path).map_err(io_error)?;
        parse(path, &pem)
    }
}

/// The fingerprint as `ssh-keygen -lf` prints it: `SHA256:` and unpadded base64.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

fn parse(path: &Path, pem: &str) -> Result<PrivateKey, HostKeyError> {
    let format_error = |source| HostKeyError::Format {
        path: path.to_path_buf(),
        source,
    };
    let key = PrivateKey::from_openssh(pem).map_err(format_error)?;
    if key.is_encrypted() {
        return Err(format_error(ssh_key::Error::Encrypted));
    }
    Ok(key)
}

fn generate() -> Result<PrivateKey, HostKeyError> {
    let mut seed = [0u8; 32];
    OsRng.try_fill_bytes(&mut seed)?;
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    key.set_comment("leap0-emulator host key");
    Ok(key)
}

/// Writes `pem` to `path` unless the file exists, returning whether it did. The key is
/// written to a private temp file first and then hard-linked into place, so no reader ever
/// sees a half-written key and two emulators starting together agree on one.
fn publish(path: &Path, pem: &[u8]) -> io::Result<bool> {
    // Unique per process and call, for emulators started side by side in one test binary.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let temp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(pem)?;
        file.sync_all()
    })();
    let linked = written.and_then(|()| match fs::hard_link(&temp, path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(err),
    });
    let _ = fs::remove_file(&temp);
    linked
}

/// Keeps the `.pub` file in step with the key. Best effort: it is a convenience for building
/// `known_hosts` by hand.
fn write_public(path: &Path, key: &PrivateKey) {
    let mut public_path = path.as_os_str().to_owned();
    public_path.push(".pub");
    let written = key
        .public_key()
        .to_openssh()
        .map_err(io::Error::other)
        .and_then(|line| {
            let line = format!("{line}\n");
            match fs::read_to_string(&public_path) {
                Ok(existing) if existing == line => Ok(()),
                _ => fs::write(&public_path, line),
            }
        });
    if let Err(err) = written {
        tracing::warn!(error = %err, "ssh host public key not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("leap0-host-key-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_key_is_made_once_private_and_then_reused() {
        let dir = temp_dir("reuse");
        let first = load_or_create(&dir).unwrap();
        let mode = fs::metadata(dir.join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = load_or_create(&dir).unwrap();
        assert_eq!(fingerprint(&first), fingerprint(&second));
        assert!(fingerprint(&first).starts_with("SHA256:"));
        let public_path = dir.join(format!("{FILE_NAME}.pub"));
        let public = fs::read_to_string(&public_path).unwrap();
        assert!(public.starts_with("ssh-ed25519 "));
        fs::remove_file(&public_path).unwrap();
        load_or_create(&dir).unwrap();
        assert_eq!(fs::read_to_string(&public_path).unwrap(), public);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_key_is_reported_not_replaced() {
        let dir = temp_dir("damaged");
        fs::write(dir.join(FILE_NAME), "not a key").unwrap();
        assert!(matches!(
            load_or_create(&dir),
            Err(HostKeyError::Format { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }
}
