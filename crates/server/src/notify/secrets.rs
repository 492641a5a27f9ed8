//! Webhook URLs and signing secrets at rest: sealed with ChaCha20-Poly1305 under a key of the
//! server's own (`notification-secrets.key` in the data directory, 32 random bytes in hex,
//! readable by the server alone — like the audit signing key beside it), bound to the
//! organisation that owns the channel (the associated data). The database never holds them
//! in the clear, and a copy of the database without the data directory does not reveal them.

use std::path::Path;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

/// The sealing key.
pub struct Keyring {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(***)")
    }
}

const PREFIX: &str = "v1:";

impl Keyring {
    /// The key of `data_dir`, made (0600) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Keyring, String> {
        let path = data_dir.join("notification-secrets.key");
        let bytes = match std::fs::read_to_string(&path) {
            Ok(text) => hex::decode(text.trim())
                .map_err(|_| format!("{} is not a key (64 hex digits)", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| e.to_string())?;
                write_private(&path, &hex::encode(key))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                key.to_vec()
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let cipher = ChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| format!("{} is not a key (64 hex digits)", path.display()))?;
        Ok(Keyring { cipher })
    }

    /// `plain` sealed for organisation `org`: `v1:` and the Base64 of nonce and ciphertext.
    pub fn seal(&self, org: &str, plain: &str) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: org.as_bytes(),
                },
            )
            .map_err(|_| "sealing failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// What [`Keyring::seal`] sealed for `org`; an error (naming nothing secret) otherwise.
    pub fn open(&self, org: &str, sealed: &str) -> Result<String, String> {
        let bad = || "a stored secret does not open with this server's key".to_owned();
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .ok_or_else(bad)?;
        if bytes.len() < 12 {
            return Err(bad());
        }
        let (nonce, data) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| bad())?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: data,
                    aad: org.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_organisation_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let k = Keyring::load_or_create(dir.path()).unwrap();
        let sealed = k.seal("org1", "s3cret").unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(k.open("org1", &sealed).unwrap(), "s3cret");
        assert!(k.open("org2", &sealed).is_err());
        // The same key again from the file.
        let again = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open("org1", &sealed).unwrap(), "s3cret");
        let other = tempfile::tempdir().unwrap();
        assert!(
            Keyring::load_or_create(other.path())
                .unwrap()
                .open("org1", &sealed)
                .is_err()
        );
    }
}
