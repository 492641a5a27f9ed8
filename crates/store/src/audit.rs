//! The hash-chained audit log: how an entry is encoded and hashed, how checkpoints are
//! signed, and how a whole chain is verified. Pure: the stores feed entries in.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The hash of the entry before the first one.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash function of new entries; each entry records its own, so a chain may mix them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    #[default]
    Sha256,
    Sm3,
}

impl HashAlg {
    pub fn id(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }

    pub fn parse(value: &str) -> Option<HashAlg> {
        match value {
            "sha256" => Some(HashAlg::Sha256),
            "sm3" => Some(HashAlg::Sm3),
            _ => None,
        }
    }

    pub fn digest(self, bytes: &[u8]) -> String {
        match self {
            HashAlg::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
            HashAlg::Sm3 => hex::encode(sm3::Sm3::digest(bytes)),
        }
    }
}

/// How an entry is turned into the bytes its hash covers. Each entry records its own, so
/// a chain written before JCS still verifies after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Entries written before migration 0007: serde_json's compact output of the fields in
    /// declaration order. Kept so that their hashes still verify; never written again.
    Compact,
    /// RFC 8785 (JSON Canonicalization Scheme): keys sorted, numbers and strings in one
    /// form, whatever serde or serde_json features are enabled elsewhere in the build.
    Jcs,
}

impl Encoding {
    pub fn id(self) -> &'static str {
        match self {
            Encoding::Compact => "compact",
            Encoding::Jcs => "jcs",
        }
    }

    pub fn parse(value: &str) -> Option<Encoding> {
        match value {
            "compact" => Some(Encoding::Compact),
            "jcs" => Some(Encoding::Jcs),
            _ => None,
        }
    }
}

/// One entry of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    /// Who: a user id, `token:<id>`, or `system`.
    pub actor: String,
    /// The actor's organisation.
    pub org_id: Option<String>,
    /// The engagement the change belongs to, if any.
    pub engagement_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// Digest of the object before and after the change (its canonical JSON).
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub alg: String,
    /// `jcs`, or `compact` for entries written before JCS (see [`Encoding`]).
    pub encoding: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields an entry's hash covers. With [`Encoding::Jcs`] the encoding itself is
/// covered too, so an entry cannot be relabelled as a legacy one.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: &'a str,
    actor: &'a str,
    org_id: Option<&'a str>,
    engagement_id: Option<&'a str>,
    action: &'a str,
    object_type: &'a str,
    object_id: &'a str,
    before_digest: Option<&'a str>,
    after_digest: Option<&'a str>,
    alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
    prev_hash: &'a str,
}

impl AuditEntry {
    /// The hash this entry must carry: over the previous hash and the canonical encoding;
    /// `None` for an unknown algorithm or encoding.
    pub fn compute_hash(&self) -> Option<String> {
        let alg = HashAlg::parse(&self.alg)?;
        let encoding = Encoding::parse(&self.encoding)?;
        let canonical = Canonical {
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            org_id: self.org_id.as_deref(),
            engagement_id: self.engagement_id.as_deref(),
            action: &self.action,
            object_type: &self.object_type,
            object_id: &self.object_id,
            before_digest: self.before_digest.as_deref(),
            after_digest: self.after_digest.as_deref(),
            alg: &self.alg,
            encoding: (encoding == Encoding::Jcs).then_some(self.encoding.as_str()),
            prev_hash: &self.prev_hash,
        };
        let mut bytes = self.prev_hash.as_bytes().to_vec();
        bytes.push(b'\n');
        match encoding {
            Encoding::Compact => serde_json::to_writer(&mut bytes, &canonical).ok()?,
            Encoding::Jcs => bytes.extend(serde_json_canonicalizer::to_vec(&canonical).ok()?),
        }
        Some(alg.digest(&bytes))
    }
}

/// Digest of an object's state for the log: the hash of its RFC 8785 (JCS) form, so that
/// the same state always has the same digest. (Entries before JCS used serde_json's compact
/// form; those digests are kept as written.)
pub fn object_digest(alg: HashAlg, value: &serde_json::Value) -> String {
    alg.digest(&serde_json_canonicalizer::to_vec(value).unwrap_or_default())
}

/// A signed statement that the chain had `seq` entries ending in `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub public_key: String,
    pub signature: String,
}

fn checkpoint_message(seq: i64, hash: &str, at: &str) -> String {
    format!("cloudward audit checkpoint\n{seq}\n{hash}\n{at}")
}

/// Signs checkpoints, and keeps a copy of each in a file outside the database so that
/// deleting rows and checkpoints together is still found.
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    file: Option<PathBuf>,
    /// A checkpoint every `interval` entries.
    pub interval: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the audit signing key {path}: {detail}")]
    Io { path: String, detail: String },
    #[error("the audit signing key {path} is not 32 bytes of hex")]
    Malformed { path: String },
    #[error("no random numbers from the operating system: {0}")]
    Random(String),
}

impl Signer {
    pub fn new(key: SigningKey, file: Option<PathBuf>, interval: i64) -> Signer {
        Signer {
            key,
            file,
            interval: interval.max(1),
        }
    }

    /// Loads the key from `path`, creating it (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> Result<SigningKey, KeyError> {
        let io = |e: std::io::Error| KeyError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed {
                    path: path.display().to_string(),
                })?;
                let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed {
                    path: path.display().to_string(),
                })?;
                Ok(SigningKey::from_bytes(&arr))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
                let key = SigningKey::from_bytes(&seed);
                write_private(path, &hex::encode(seed)).map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn sign(&self, seq: i64, hash: &str, at: &str) -> Checkpoint {
        let sig = self.key.sign(checkpoint_message(seq, hash, at).as_bytes());
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: at.to_owned(),
            public_key: hex::encode(self.key.verifying_key().as_bytes()),
            signature: hex::encode(sig.to_bytes()),
        }
    }

    /// Appends the checkpoint to the file copy, if any. Called after the commit.
    pub fn record(&self, cp: &Checkpoint) {
        let Some(path) = &self.file else { return };
        let line = match serde_json::to_string(cp) {
            Ok(l) => l,
            Err(_) => return,
        };
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let written = options.open(path).and_then(|mut f| {
            writeln!(f, "{line}")?;
            f.sync_all()
        });
        if let Err(e) = written {
            tracing::error!(file = %path.display(), error = %e, "audit checkpoint copy not written");
        }
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Reads the file copy of the checkpoints; lines that do not parse are reported as broken.
pub fn read_checkpoint_file(path: &Path) -> Result<Vec<Checkpoint>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub checkpoints: usize,
    /// Verified from this signed checkpoint on (the entries before it on its word); `None`
    /// for the whole chain.
    pub since: Option<i64>,
    /// The first entry (or checkpoint) that does not verify, with why.
    pub broken: Option<Broken>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.broken.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Checks entries in order as they are fed, then the checkpoints against them.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    /// The hash of every entry fed, from entry `first_seq` on, to check checkpoints.
    hashes: Vec<String>,
    first_seq: i64,
    broken: Option<Broken>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
            hashes: Vec::new(),
            first_seq: 1,
            broken: None,
        }
    }
}

impl Verifier {
    /// A verifier that takes a signed checkpoint's word for the entries up to it and checks
    /// the chain from there: the next entry must link to the checkpoint's hash. (The caller
    /// has checked the signature: see [`latest_signed`].)
    pub fn after(cp: &Checkpoint) -> Verifier {
        Verifier {
            expected_seq: cp.seq + 1,
            prev_hash: cp.hash.clone(),
            hashes: Vec::new(),
            first_seq: cp.seq + 1,
            broken: None,
        }
    }

    /// Checks the entry a verifier made [`Verifier::after`] a checkpoint starts from: it is
    /// the checkpoint's entry, and its content still hashes to the signed hash.
    pub fn anchor(&mut self, e: Option<&AuditEntry>) -> bool {
        let problem = match e {
            None => Some("the entry of a signed checkpoint is missing: the log was cut"),
            Some(e)
                if e.seq + 1 != self.first_seq
                    || e.hash != self.prev_hash
                    || e.compute_hash().as_deref() != Some(self.prev_hash.as_str()) =>
            {
                Some("its content does not match its signed checkpoint: the entry was changed")
            }
            Some(_) => None,
        };
        if let Some(reason) = problem
            && self.broken.is_none()
        {
            self.broken = Some(Broken {
                seq: self.first_seq - 1,
                reason: reason.to_owned(),
            });
        }
        problem.is_none()
    }

    /// Feeds the next entry; returns false once the chain is broken (feeding may stop).
    pub fn push(&mut self, e: &AuditEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let problem = if e.seq != self.expected_seq {
            Some(format!(
                "sequence jumps from {} to {}: entries are missing",
                self.expected_seq - 1,
                e.seq
            ))
        } else if e.prev_hash != self.prev_hash {
            Some("its previous-hash does not match the entry before it".to_owned())
        } else {
            match e.compute_hash() {
                None => Some(format!(
                    "unknown hash algorithm {:?} or encoding {:?}",
                    e.alg, e.encoding
                )),
                Some(h) if h != e.hash => {
                    Some("its content does not match its hash: the entry was changed".to_owned())
                }
                Some(_) => None,
            }
        };
        if let Some(reason) = problem {
            self.broken = Some(Broken {
                seq: e.seq.min(self.expected_seq),
                reason,
            });
            return false;
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        self.hashes.push(e.hash.clone());
        true
    }

    /// Checks the checkpoints (from the database and the file copy) and reports.
    pub fn finish(self, checkpoints: &[Checkpoint], key: Option<&VerifyingKey>) -> Verification {
        let head_seq = self.expected_seq - 1;
        let mut broken = self.broken;
        if broken.is_none() {
            for cp in checkpoints {
                if let Some(reason) =
                    check_checkpoint(cp, &self.hashes, self.first_seq, head_seq, key)
                {
                    broken = Some(Broken {
                        seq: cp.seq.min(head_seq + 1),
                        reason,
                    });
                    break;
                }
            }
        }
        Verification {
            entries: head_seq - (self.first_seq - 1),
            head_seq,
            head_hash: self.prev_hash,
            checkpoints: checkpoints.len(),
            since: (self.first_seq > 1).then_some(self.first_seq - 1),
            broken,
        }
    }
}

/// Whether a checkpoint carries a valid signature (by `key`, when given).
pub fn signed(cp: &Checkpoint, key: Option<&VerifyingKey>) -> bool {
    (|| {
        let pk: [u8; 32] = hex::decode(&cp.public_key).ok()?.try_into().ok()?;
        let vk = VerifyingKey::from_bytes(&pk).ok()?;
        if key.is_some_and(|k| *k != vk) {
            return None;
        }
        let sig: [u8; 64] = hex::decode(&cp.signature).ok()?.try_into().ok()?;
        vk.verify(
            checkpoint_message(cp.seq, &cp.hash, &cp.at).as_bytes(),
            &Signature::from_bytes(&sig),
        )
        .ok()
    })()
    .is_some()
}

/// The signed checkpoint furthest along, to verify the chain from.
pub fn latest_signed<'a>(
    checkpoints: &'a [Checkpoint],
    key: Option<&VerifyingKey>,
) -> Option<&'a Checkpoint> {
    checkpoints
        .iter()
        .filter(|cp| signed(cp, key))
        .max_by_key(|cp| cp.seq)
}

fn check_checkpoint(
    cp: &Checkpoint,
    hashes: &[String],
    first_seq: i64,
    head_seq: i64,
    key: Option<&VerifyingKey>,
) -> Option<String> {
    if !signed(cp, key) {
        return Some(format!(
            "checkpoint at entry {} has no valid signature by the server's key",
            cp.seq
        ));
    }
    if cp.seq > head_seq {
        return Some(format!(
            "a signed checkpoint covers entry {} but the log ends at {head_seq}: the log was truncated",
            cp.seq
        ));
    }
    // Entries before the starting checkpoint were not read: its signature is what counts.
    if cp.seq < first_seq {
        return None;
    }
    let idx = usize::try_from(cp.seq - first_seq).ok()?;
    match hashes.get(idx) {
        Some(h) if *h == cp.hash => None,
        _ => Some(format!(
            "entry {} does not match its signed checkpoint: the log was rewritten",
            cp.seq
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64, alg: HashAlg) -> Vec<AuditEntry> {
        chain_in(n, alg, Encoding::Jcs)
    }

    fn chain_in(n: i64, alg: HashAlg, encoding: Encoding) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: format!("2026-11-28T10:00:{seq:02}.000Z"),
                    actor: "u1".into(),
                    org_id: Some("o1".into()),
                    engagement_id: None,
                    action: "engagement.update".into(),
                    object_type: "engagement".into(),
                    object_id: "e1".into(),
                    before_digest: None,
                    after_digest: Some(alg.digest(seq.to_string().as_bytes())),
                    alg: alg.id().into(),
                    encoding: encoding.id().into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash().unwrap_or_default();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(
        entries: &[AuditEntry],
        cps: &[Checkpoint],
        key: Option<&VerifyingKey>,
    ) -> Verification {
        let mut v = Verifier::default();
        for e in entries {
            v.push(e);
        }
        v.finish(cps, key)
    }

    #[test]
    fn an_intact_chain_verifies_with_either_hash() {
        for alg in [HashAlg::Sha256, HashAlg::Sm3] {
            let r = verify(&chain(5, alg), &[], None);
            assert!(r.ok(), "{r:?}");
            assert_eq!(r.head_seq, 5);
        }
        assert_ne!(HashAlg::Sha256.digest(b"x"), HashAlg::Sm3.digest(b"x"));
    }

    /// Entry 2 of a log written by cloudward before JCS (the upgrade fixture in
    /// tests/fixtures/main-672711d): its hash must still come out the same.
    fn legacy_entry() -> AuditEntry {
        AuditEntry {
            seq: 2,
            at: "2026-12-02T00:08:21.317Z".into(),
            actor: "system".into(),
            org_id: None,
            engagement_id: None,
            action: "org.create".into(),
            object_type: "organisation".into(),
            object_id: "bed248f2-c5c4-4b56-af89-8af7aa953c05".into(),
            before_digest: None,
            after_digest: Some(
                "2bfb5ec88cf9fe0a029f441f2f155f739b8d78aed04205d916983098184a51e1".into(),
            ),
            alg: "sha256".into(),
            encoding: "compact".into(),
            prev_hash: "487cb45c09f4266ba17d2e30acfda80c6702dd6bcc7a4deeeb88818d46e82a76".into(),
            hash: "bbe5576b8ac2e72f62e571a1ae41b3cc87dc58ffe3cc3d1e194fc557bcf82427".into(),
        }
    }

    #[test]
    fn entries_written_before_jcs_keep_their_hashes() {
        let e = legacy_entry();
        assert_eq!(e.compute_hash().as_deref(), Some(e.hash.as_str()));
        // The same entry relabelled as JCS no longer matches, and the other way round:
        // the encoding is part of what is verified.
        let mut relabelled = e.clone();
        relabelled.encoding = "jcs".into();
        assert_ne!(relabelled.compute_hash().as_deref(), Some(e.hash.as_str()));
        let mut c = chain(3, HashAlg::Sha256);
        c[1].encoding = "compact".into();
        assert_eq!(verify(&c, &[], None).broken.map(|b| b.seq), Some(2));
        c[1].encoding = "base64".into();
        let r = verify(&c, &[], None);
        assert!(r.broken.is_some_and(|b| b.reason.contains("encoding")));
    }

    #[test]
    fn a_chain_that_changes_encoding_midway_verifies() {
        let mut c = chain_in(3, HashAlg::Sha256, Encoding::Compact);
        let mut prev = c[2].hash.clone();
        for mut e in chain_in(6, HashAlg::Sm3, Encoding::Jcs).into_iter().skip(3) {
            e.prev_hash = prev;
            e.hash = e.compute_hash().unwrap_or_default();
            prev = e.hash.clone();
            c.push(e);
        }
        let r = verify(&c, &[], None);
        assert!(r.ok(), "{r:?}");
        assert_eq!(r.head_seq, 6);
    }

    /// The bytes a JCS entry's hash covers are fixed by RFC 8785, not by the build: keys in
    /// code-point order, no whitespace. If this changes, existing chains stop verifying.
    #[test]
    fn a_jcs_entry_hashes_to_the_same_value_in_every_build() {
        let mut e = legacy_entry();
        e.encoding = "jcs".into();
        e.org_id = Some("组织-1".into());
        let expected_input = format!(
            "{}\n{{\"action\":\"org.create\",\"actor\":\"system\",\"after_digest\":\"{}\",\
             \"alg\":\"sha256\",\"at\":\"2026-12-02T00:08:21.317Z\",\"before_digest\":null,\
             \"encoding\":\"jcs\",\"engagement_id\":null,\"object_id\":\"{}\",\
             \"object_type\":\"organisation\",\"org_id\":\"组织-1\",\"prev_hash\":\"{}\",\
             \"seq\":2}}",
            e.prev_hash,
            e.after_digest.as_deref().unwrap_or_default(),
            e.object_id,
            e.prev_hash
        );
        assert_eq!(
            e.compute_hash(),
            Some(HashAlg::Sha256.digest(expected_input.as_bytes()))
        );
        // Object digests, likewise: key order of the value does not matter.
        let a = serde_json::json!({ "b": 1, "a": [1.5, "x"], "c": { "z": null, "y": true } });
        assert_eq!(
            object_digest(HashAlg::Sha256, &a),
            HashAlg::Sha256.digest(br#"{"a":[1.5,"x"],"b":1,"c":{"y":true,"z":null}}"#)
        );
    }

    #[test]
    fn verification_can_start_from_the_last_signed_checkpoint() {
        let c = chain(9, HashAlg::Sha256);
        let signer = Signer::new(SigningKey::from_bytes(&[7u8; 32]), None, 3);
        let key = signer.verifying_key();
        let cps: Vec<Checkpoint> = [3usize, 6]
            .iter()
            .map(|&n| signer.sign(n as i64, &c[n - 1].hash, "2026-11-28T10:00:00.000Z"))
            .collect();
        let start = latest_signed(&cps, Some(&key))
            .cloned()
            .unwrap_or_else(|| cps[0].clone());
        assert_eq!(start.seq, 6);
        let quick = |entries: &[AuditEntry]| {
            let mut v = Verifier::after(&start);
            for e in entries.iter().filter(|e| e.seq > start.seq) {
                v.push(e);
            }
            v.finish(&cps, Some(&key))
        };
        let r = quick(&c);
        assert!(r.ok(), "{r:?}");
        // The checkpoint's own entry is read again too.
        let mut v = Verifier::after(&start);
        assert!(v.anchor(Some(&c[5])));
        let mut anchored = c[5].clone();
        anchored.actor = "intruder".into();
        let mut v = Verifier::after(&start);
        assert!(!v.anchor(Some(&anchored)));
        assert_eq!(v.finish(&cps, Some(&key)).broken.map(|b| b.seq), Some(6));
        assert_eq!((r.since, r.entries, r.head_seq), (Some(6), 3, 9));
        // An entry after the checkpoint changed: found.
        let mut edited = c.clone();
        edited[7].actor = "intruder".into();
        assert_eq!(quick(&edited).broken.map(|b| b.seq), Some(8));
        // An entry after it that no longer links to it: found.
        let mut relinked = c.clone();
        relinked[6].prev_hash = GENESIS.into();
        assert_eq!(quick(&relinked).broken.map(|b| b.seq), Some(7));
        // A forged checkpoint is not a starting point.
        let mut forged = cps[1].clone();
        forged.seq = 9;
        assert_eq!(
            latest_signed(std::slice::from_ref(&forged), Some(&key)),
            None
        );
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut c = chain(5, HashAlg::Sha256);
        c[2].actor = "intruder".into();
        let r = verify(&c, &[], None);
        assert_eq!(r.broken.map(|b| b.seq), Some(3));
    }

    #[test]
    fn a_removed_entry_is_named() {
        let mut c = chain(5, HashAlg::Sha256);
        c.remove(1);
        let r = verify(&c, &[], None);
        assert_eq!(r.broken.map(|b| b.seq), Some(2));
    }

    #[test]
    fn truncation_is_found_by_a_signed_checkpoint() {
        let c = chain(6, HashAlg::Sha256);
        let signer = Signer::new(SigningKey::from_bytes(&[7u8; 32]), None, 3);
        let cp = signer.sign(6, &c[5].hash, "2026-11-28T10:00:06.000Z");
        assert!(verify(&c, std::slice::from_ref(&cp), Some(&signer.verifying_key())).ok());
        let r = verify(
            &c[..4],
            std::slice::from_ref(&cp),
            Some(&signer.verifying_key()),
        );
        assert!(r.broken.is_some_and(|b| b.reason.contains("truncated")));
        // A checkpoint signed by another key does not count.
        let other = Signer::new(SigningKey::from_bytes(&[8u8; 32]), None, 3);
        let forged = other.sign(6, &c[5].hash, "2026-11-28T10:00:06.000Z");
        assert!(!verify(&c, &[forged], Some(&signer.verifying_key())).ok());
    }
}
