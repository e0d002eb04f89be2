//! Private signing keys at rest: sealed under the key-encryption key, which comes from
//! the setting or (SQLite) a key file made on first start.

use std::time::Duration;

use idp_core::KeyRepo;
use idp_store::DieselStore;
use idp_testdb::process::Running;

use crate::{server, TEST_KEK};

/// Starts the server on `url` with `envs`; waits until it listens.
fn start(url: &str, envs: &[(&str, &str)], dir: &std::path::Path) -> Running {
    let mut running = Running::spawn(
        server()
            .args(["--listen", "127.0.0.1:0", "--database-url", url])
            .envs(envs.iter().copied())
            .current_dir(dir),
    );
    running.listening_address(Duration::from_secs(60));
    running
}

/// Runs the server on `url` with `envs`, expecting it to refuse to start; its exit code
/// and what it printed.
fn refused(url: &str, envs: &[(&str, &str)], dir: &std::path::Path) -> (Option<i32>, String) {
    let out = server()
        .args(["--listen", "127.0.0.1:0", "--database-url", url])
        .envs(envs.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every stored private key, as stored.
fn stored_private_keys(url: &str) -> Vec<Vec<u8>> {
    let store = DieselStore::open(url).unwrap();
    store
        .key_summaries()
        .unwrap()
        .iter()
        .map(|k| {
            store
                .signing_key(&k.kid)
                .unwrap()
                .unwrap()
                .private_key_pkcs8
        })
        .collect()
}

/// The DER prefix of a PKCS#8 RSA private key (SEQUENCE, version 0, rsaEncryption OID).
const PKCS8_RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

#[test]
fn sqlite_keys_are_sealed_under_a_private_key_file_made_on_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/idp.db", dir.path().display());
    drop(start(&url, &[], dir.path()));
    let key_file = dir.path().join("data/idp.db.kek");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // One key per algorithm (RS256, ES256, EdDSA), each sealed.
    let keys = stored_private_keys(&url);
    assert_eq!(keys.len(), 3);
    for key in &keys {
        assert!(key.starts_with(b"idps1"));
        assert!(!key.windows(PKCS8_RSA_OID.len()).any(|w| w == PKCS8_RSA_OID));
    }

    // Restarts use the same file.
    drop(start(&url, &[], dir.path()));

    // A wrong key is a start-up error naming the setting (exit 2, like other settings).
    let (code, stderr) = refused(&url, &[("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("key_encryption_key"), "{stderr}");
    assert!(
        stderr.contains("not the key the signing keys were encrypted with"),
        "{stderr}"
    );

    // A lost key file: the error says so, and no useless new file is left behind.
    let saved = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let (code, stderr) = refused(&url, &[], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("key_encryption_key") && stderr.contains("is missing"),
        "{stderr}"
    );
    assert!(!key_file.exists());
    std::fs::write(&key_file, saved).unwrap();
    drop(start(&url, &[], dir.path()));
}

#[test]
fn keys_stored_in_plaintext_by_an_earlier_release_are_sealed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/idp.db", dir.path().display());
    {
        let store = DieselStore::open(&url).unwrap();
        let der = include_bytes!("../../../../crates/idp-protocol/tests/fixtures/test-rs256.pk8");
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        store
            .insert_signing_key(&idp_core::SigningKey {
                summary: idp_core::KeySummary {
                    kid: "legacy".into(),
                    alg: idp_core::JwsAlgorithm::Rs256,
                    created_at: now,
                    activate_at: now,
                    retired_at: None,
                },
                private_key_pkcs8: der.to_vec(),
            })
            .unwrap();
    }
    let mut running = start(&url, &[], dir.path());
    let log = running.log();
    assert!(
        log.contains("encrypted private keys stored before encryption at rest keys=1"),
        "{log}"
    );
    drop(running);
    // The legacy key keeps signing RS256 (no RS256 key is generated); ES256 and EdDSA
    // keys are made beside it. Every key is sealed.
    let store = DieselStore::open(&url).unwrap();
    let rs256: Vec<_> = store
        .key_summaries()
        .unwrap()
        .into_iter()
        .filter(|k| k.alg == idp_core::JwsAlgorithm::Rs256)
        .collect();
    assert_eq!(rs256.len(), 1);
    assert_eq!(rs256[0].kid, "legacy");
    let keys = stored_private_keys(&url);
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k.starts_with(b"idps1")));
}

fn postgres_requires_the_setting_and_refuses_a_wrong_key() {
    let db = idp_testdb::TestDb::fresh();
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = refused(db.url(), &[], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("key_encryption_key"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    drop(start(
        db.url(),
        &[("IDP_KEY_ENCRYPTION_KEY", TEST_KEK)],
        dir.path(),
    ));
    assert!(stored_private_keys(db.url())[0].starts_with(b"idps1"));
    let other = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let (code, stderr) = refused(db.url(), &[("IDP_KEY_ENCRYPTION_KEY", other)], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("key_encryption_key"), "{stderr}");
    assert!(
        !stderr.contains(other) && !stderr.contains(TEST_KEK),
        "{stderr}"
    );
}

#[test]
fn postgres_key_encryption() {
    idp_testdb::run_on(
        idp_testdb::Backend::Postgres,
        postgres_requires_the_setting_and_refuses_a_wrong_key,
    );
}

#[test]
fn postgres_without_the_key_is_refused_before_connecting() {
    // Nothing listens on port 9: the missing setting is reported at once, not after the
    // database start-up retries give up.
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (code, stderr) = refused("postgres://postgres@127.0.0.1:9/idp", &[], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("key_encryption_key"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
}
