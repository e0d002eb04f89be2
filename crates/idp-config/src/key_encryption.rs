//! Where the key-encryption key comes from: the `key_encryption_key` setting
//! (`IDP_KEY_ENCRYPTION_KEY`), or — for SQLite only — a key file beside the database,
//! made with mode 0600 on first start.

use std::path::{Path, PathBuf};

use idp_crypto::KeyEncryptionKey;

use crate::{bad, ConfigError, Settings};

/// Where the key-encryption key came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The `key_encryption_key` setting.
    Setting,
    /// An existing key file.
    File(PathBuf),
    /// A key file made just now (none existed).
    NewFile(PathBuf),
}

/// The key file of a SQLite database: `<database file>.kek` beside it.
pub fn key_file_path(sqlite_path: &Path) -> PathBuf {
    let mut name = sqlite_path.file_name().unwrap_or_default().to_os_string();
    name.push(".kek");
    sqlite_path.with_file_name(name)
}

/// The key-encryption key: from the setting if set; else, for a SQLite database at
/// `sqlite_path`, from its key file, made if missing; else (PostgreSQL) an error naming
/// the setting.
///
/// # Errors
/// [`ConfigError`] naming `key_encryption_key` (or the key file) when there is no usable
/// key.
pub fn key_encryption_key(
    settings: &Settings,
    sqlite_path: Option<&Path>,
) -> Result<(KeyEncryptionKey, KeyOrigin), ConfigError> {
    if let Some(secret) = &settings.key_encryption_key {
        let key = KeyEncryptionKey::from_base64(secret.expose())
            .map_err(|e| bad("key_encryption_key", e.to_string()))?;
        return Ok((key, KeyOrigin::Setting));
    }
    let Some(sqlite_path) = sqlite_path else {
        return Err(bad(
            "key_encryption_key",
            "must be set for PostgreSQL (IDP_KEY_ENCRYPTION_KEY, base64 of 32 random bytes, \
             e.g. `openssl rand -base64 32`), the same on every instance",
        ));
    };
    let path = key_file_path(sqlite_path);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = KeyEncryptionKey::from_base64(&text).map_err(|e| {
                bad(
                    "key_encryption_key",
                    format!("the key file {} is unusable: {e}", path.display()),
                )
            })?;
            Ok((key, KeyOrigin::File(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (key, text) = KeyEncryptionKey::generate()
                .map_err(|e| bad("key_encryption_key", e.to_string()))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    bad(
                        "key_encryption_key",
                        format!("cannot create {}: {e}", dir.display()),
                    )
                })?;
            }
            write_key_file(&path, &text).map_err(|e| {
                bad(
                    "key_encryption_key",
                    format!("cannot create the key file {}: {e}", path.display()),
                )
            })?;
            Ok((key, KeyOrigin::NewFile(path)))
        }
        Err(e) => Err(bad(
            "key_encryption_key",
            format!("cannot read the key file {}: {e}", path.display()),
        )),
    }
}

/// Writes a new key file (failing if it exists), readable by its owner only.
///
/// # Errors
/// Any I/O error.
pub fn write_key_file(path: &Path, base64_key: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{base64_key}\n").as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_gets_a_private_key_file_once_and_postgres_must_set_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("idp.db");
        let settings = Settings::with_database_url("sqlite://x");
        let (first, origin) = key_encryption_key(&settings, Some(&db)).unwrap();
        let file = dir.path().join("idp.db.kek");
        assert_eq!(origin, KeyOrigin::NewFile(file.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, origin) = key_encryption_key(&settings, Some(&db)).unwrap();
        assert_eq!(origin, KeyOrigin::File(file));
        assert_eq!(first.fingerprint_hex(), again.fingerprint_hex());

        let err = key_encryption_key(&settings, None).unwrap_err().to_string();
        assert!(err.contains("key_encryption_key"), "{err}");

        let mut set = settings;
        set.key_encryption_key = Some(crate::Secret::new(
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ));
        assert_eq!(
            key_encryption_key(&set, None).unwrap().1,
            KeyOrigin::Setting
        );
        assert!(!format!("{set:?}").contains("AAAA"));
    }
}
