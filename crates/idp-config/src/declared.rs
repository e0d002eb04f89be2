//! The clients, scopes and groups a configuration file declares (`[[clients]]`,
//! `[[scopes]]`, `[[groups]]`), read with the `toml` crate from the same file the
//! settings come from. Checking them against the rules and the database is
//! `idp_protocol::manage::declared`'s job; this module reads the file, refuses unknown
//! keys and inline secrets, and reads each confidential client's secret from its file or
//! environment variable.

use std::collections::HashMap;
use std::path::Path;

use idp_core::{
    ClientDeclaration, Declarations, DeclaredSecret, GroupDeclaration, ScopeDeclaration,
};
use serde::Deserialize;

use crate::ConfigError;

/// The declaration arrays of a configuration file; its settings are read by [`crate::load`].
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    clients: Vec<toml::Value>,
    #[serde(default)]
    scopes: Vec<toml::Value>,
    #[serde(default)]
    groups: Vec<toml::Value>,
}

fn declaration(entry: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Source(format!("{entry}: {reason}"))
}

/// `clients[0] (client_id X)`: how messages name an entry.
fn entry_name(array: &str, index: usize, value: &toml::Value, key: &str) -> String {
    match value.get(key).and_then(toml::Value::as_str) {
        Some(name) => format!("{array}[{index}] ({key} {name})"),
        None => format!("{array}[{index}]"),
    }
}

fn entries<T: for<'de> Deserialize<'de>>(
    array: &str,
    key: &str,
    values: Vec<toml::Value>,
) -> Result<Vec<(String, T)>, ConfigError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let entry = entry_name(array, i, &value, key);
            let parsed = value
                .try_into::<T>()
                .map_err(|e| declaration(&entry, e.message()))?;
            Ok((entry, parsed))
        })
        .collect()
}

/// Reads the declarations of the configuration file at `path` (nothing declared: empty
/// lists). `env` replaces the process environment for `client_secret_env` when given (for
/// tests).
///
/// # Errors
/// [`ConfigError`] naming the file or the entry at fault: an unreadable file, bad TOML,
/// an unknown key, an inline `client_secret`, or a secret file or variable that cannot
/// be read.
pub fn load_declared(
    path: &Path,
    env: Option<&HashMap<String, String>>,
) -> Result<Declarations, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Source(format!("cannot read {}: {e}", path.display())))?;
    let file: File = toml::from_str(&text)
        .map_err(|e| ConfigError::Source(format!("{}: {}", path.display(), e.message())))?;
    let mut clients = Vec::new();
    for (entry, mut client) in entries::<ClientDeclaration>("clients", "client_id", file.clients)? {
        client.secret = secret(&entry, &client, path, env)?;
        clients.push(client);
    }
    let scopes = entries::<ScopeDeclaration>("scopes", "name", file.scopes)?
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let groups = entries::<GroupDeclaration>("groups", "name", file.groups)?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    Ok(Declarations {
        clients,
        scopes,
        groups,
    })
}

/// The secret of a declared client, from `client_secret_file` (relative to the
/// configuration file's directory) or `client_secret_env`; never inline.
fn secret(
    entry: &str,
    client: &ClientDeclaration,
    config: &Path,
    env: Option<&HashMap<String, String>>,
) -> Result<Option<DeclaredSecret>, ConfigError> {
    if client.client_secret.is_some() {
        return Err(declaration(
            entry,
            "client_secret is not allowed in a configuration file: put the secret in a file \
             (client_secret_file = \"/path\") or an environment variable \
             (client_secret_env = \"VAR\")",
        ));
    }
    match (&client.client_secret_file, &client.client_secret_env) {
        (Some(_), Some(_)) => Err(declaration(
            entry,
            "give client_secret_file or client_secret_env, not both",
        )),
        (Some(file), None) => {
            let file = config.parent().unwrap_or_else(|| Path::new(".")).join(file);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                declaration(entry, format!("client_secret_file {}: {e}", file.display()))
            })?;
            let secret = text.trim_end_matches(['\n', '\r']);
            if secret.is_empty() {
                return Err(declaration(
                    entry,
                    format!("client_secret_file {} is empty", file.display()),
                ));
            }
            Ok(Some(DeclaredSecret::new(secret)))
        }
        (None, Some(var)) => {
            let value = match env {
                Some(env) => env.get(var).cloned(),
                None => std::env::var(var).ok(),
            };
            match value.filter(|v| !v.is_empty()) {
                Some(v) => Ok(Some(DeclaredSecret::new(v))),
                None => Err(declaration(
                    entry,
                    format!("client_secret_env: the environment variable {var} is not set"),
                )),
            }
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, contents: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn check(contents: &str) -> Result<Declarations, String> {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "secret.txt",
            "s3cretS3cretS3cretS3cretS3cret0123\n",
        );
        let file = write(dir.path(), "idp.toml", contents);
        let env = HashMap::from([(
            "APP_SECRET".to_owned(),
            "fromEnvfromEnvfromEnvfromEnv0123".to_owned(),
        )]);
        load_declared(&file, Some(&env)).map_err(|e| e.to_string())
    }

    #[test]
    fn declarations_are_read_beside_the_settings() {
        let d = check(
            r#"
listen = "127.0.0.1:9000"

[[scopes]]
name = "calendar"
description = "Your calendars"

[[groups]]
name = "staff"
members = ["alice"]

[[groups]]
name = "guests"

[[clients]]
client_id = "cloudcloudcloudcloudcloudcloud01"
name = "Cloud"
redirect_uris = ["https://cloud.example/cb"]
scopes = ["openid", "calendar"]
allowed_groups = ["staff"]
access_token_lifetime = 600
client_secret_file = "secret.txt"

[[clients]]
client_id = "spaspaspaspaspaspaspaspaspaspa01"
name = "SPA"
type = "public"
redirect_uris = ["https://spa.example/cb"]

[[clients]]
client_id = "envenvenvenvenvenvenvenvenvenv01"
name = "Env"
redirect_uris = ["https://env.example/cb"]
client_secret_env = "APP_SECRET"
"#,
        )
        .unwrap();
        assert_eq!(d.scopes[0].name, "calendar");
        assert_eq!(
            d.groups[0].members.as_deref(),
            Some(&["alice".to_owned()][..])
        );
        assert_eq!(d.groups[1].members, None);
        let cloud = &d.clients[0];
        assert_eq!(cloud.access_token_lifetime, Some(600));
        assert_eq!(
            cloud.secret.as_ref().unwrap().expose(),
            "s3cretS3cretS3cretS3cretS3cret0123"
        );
        assert!(!format!("{cloud:?}").contains("s3cret"));
        assert_eq!(d.clients[1].client_type.as_deref(), Some("public"));
        assert!(d.clients[1].secret.is_none());
        assert_eq!(
            d.clients[2].secret.as_ref().unwrap().expose(),
            "fromEnvfromEnvfromEnvfromEnv0123"
        );
    }

    #[test]
    fn a_file_without_declarations_declares_nothing() {
        assert!(check("listen = \"127.0.0.1:9000\"\n").unwrap().is_empty());
    }

    #[test]
    fn an_inline_secret_is_refused_naming_the_entry() {
        let e = check("[[clients]]\nclient_id = \"abc\"\nname = \"A\"\nclient_secret = \"x\"\n")
            .unwrap_err();
        assert!(e.contains("clients[0] (client_id abc)"), "{e}");
        assert!(e.contains("client_secret_file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "idp.toml",
            "[[clients]]\nclient_id = \"abc\"\nname = \"A\"\nclient_secret = \"inlineSecret\"\n",
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let parsed: File = toml::from_str(&text).unwrap();
        let client: ClientDeclaration = parsed.clients[0].clone().try_into().unwrap();
        assert!(!format!("{client:?}").contains("inlineSecret"));
    }

    #[test]
    fn an_unknown_key_is_refused_naming_the_entry() {
        let e = check(
            "[[scopes]]\nname = \"a\"\ndescription = \"A\"\n\n[[scopes]]\nname = \"b\"\ndescription = \"B\"\ncolour = \"red\"\n",
        )
        .unwrap_err();
        assert!(e.contains("scopes[1] (name b)"), "{e}");
        assert!(e.contains("colour"), "{e}");
        let e = check("[[clients]]\nclient_id = \"abc\"\nname = \"A\"\nredirect_uri = \"x\"\n")
            .unwrap_err();
        assert!(
            e.contains("clients[0] (client_id abc)") && e.contains("redirect_uri"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_secret_file_or_variable_is_refused() {
        let e = check(
            "[[clients]]\nclient_id = \"abc\"\nname = \"A\"\nclient_secret_file = \"nope.txt\"\n",
        )
        .unwrap_err();
        assert!(e.contains("clients[0]") && e.contains("nope.txt"), "{e}");
        let e = check(
            "[[clients]]\nclient_id = \"abc\"\nname = \"A\"\nclient_secret_env = \"UNSET_VAR\"\n",
        )
        .unwrap_err();
        assert!(e.contains("UNSET_VAR"), "{e}");
    }

    #[test]
    fn a_missing_configuration_file_is_refused() {
        let e = load_declared(Path::new("/nonexistent/idp.toml"), None).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/idp.toml"), "{e}");
    }
}
