//! The node's configuration file, `node.toml`. Every key is documented in
//! `node-config/README.md`. Relative paths are relative to the file's folder.

use anyhow::{Context, Result, bail};
use deltabench_api::ApiLimits;
use deltabench_api::auth::TokenHash;
use deltabench_api::ratelimit::ClientAddress;
use deltabench_model::JurisdictionCode;
use deltabench_node::{Identity, Policy};
use deltabench_trust::canonical::parse_strict;
use deltabench_trust::roster::RosterDoc;
use deltabench_trust::{Limits, NodeKey};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who the node is and where it keeps things.
    pub node: NodeSection,
    /// The HTTP API.
    pub api: ApiSection,
    /// The libp2p network.
    #[serde(default)]
    pub p2p: P2pSection,
    /// Bounds of the validation path.
    #[serde(default)]
    pub validation: ValidationSection,
    /// Disclosure control of published summaries.
    #[serde(default)]
    pub disclosure: DisclosureSection,
    /// Public rating of livelihood projects.
    #[serde(default)]
    pub public: PublicSection,
    /// Debt risk: the debt-ratio thresholds of the bands and their source.
    #[serde(default)]
    pub debt: deltabench_model::debt::DebtBands,
    /// The performance twin: early-warning thresholds.
    #[serde(default)]
    pub twin: TwinSection,
    /// 12345 hotline requests: data-quality thresholds.
    #[serde(default)]
    pub hotline: HotlineSection,
    /// The alliances the node belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alliances: Vec<AllianceSection>,
}

/// `[node]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// The GB/T 2260 code.
    pub jurisdiction: String,
    /// The name in Chinese.
    pub name_zh: String,
    /// The name in English.
    pub name_en: String,
    /// The PKCS#8 PEM private key.
    #[serde(default = "default_key_file")]
    pub key_file: PathBuf,
    /// The store's directory.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
}

fn default_key_file() -> PathBuf {
    "node.key".into()
}

fn default_data_dir() -> PathBuf {
    "data".into()
}

/// `[api]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// The address the API listens on.
    pub listen: String,
    /// The largest request body on ordinary routes.
    #[serde(default = "default_body")]
    pub body_bytes_max: usize,
    /// The largest bundle accepted.
    #[serde(default = "default_bundle")]
    pub bundle_bytes_max: usize,
    /// How long a request may take.
    #[serde(default = "default_timeout")]
    pub request_timeout_secs: u64,
    /// The accepted tokens, by hash.
    #[serde(default)]
    pub tokens: Vec<TokenHash>,
}

fn default_body() -> usize {
    ApiLimits::default().body_bytes_max
}

fn default_bundle() -> usize {
    ApiLimits::default().bundle_bytes_max
}

fn default_timeout() -> u64 {
    ApiLimits::default().request_timeout.as_secs()
}

/// `[p2p]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pSection {
    /// Multiaddresses to listen on.
    #[serde(default)]
    pub listen: Vec<String>,
    /// Multiaddresses of peers to dial (and re-dial when lost).
    #[serde(default)]
    pub bootstrap: Vec<String>,
    /// Seconds between re-dials of lost bootstrap peers.
    #[serde(default = "default_redial")]
    pub redial_secs: u64,
    /// Seconds between syncs with a random connected peer.
    #[serde(default = "default_anti_entropy")]
    pub anti_entropy_secs: u64,
    /// Gossip messages a peer may forward per second, sustained.
    #[serde(default = "default_rate")]
    pub messages_per_sec_per_peer: u32,
    /// Seconds a misbehaving peer stays blocked.
    #[serde(default = "default_ban")]
    pub ban_secs: u64,
}

fn default_redial() -> u64 {
    5
}
fn default_anti_entropy() -> u64 {
    30
}
fn default_rate() -> u32 {
    200
}
fn default_ban() -> u64 {
    600
}

impl Default for P2pSection {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            bootstrap: Vec::new(),
            redial_secs: default_redial(),
            anti_entropy_secs: default_anti_entropy(),
            messages_per_sec_per_peer: default_rate(),
            ban_secs: default_ban(),
        }
    }
}

/// `[validation]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSection {
    /// The largest accepted document.
    #[serde(default = "default_doc_bytes")]
    pub document_bytes_max: usize,
    /// How far in the future an issue time may lie.
    #[serde(default = "default_skew")]
    pub clock_skew_secs_max: i64,
}

impl Default for ValidationSection {
    fn default() -> Self {
        Self {
            document_bytes_max: default_doc_bytes(),
            clock_skew_secs_max: default_skew(),
        }
    }
}

fn default_doc_bytes() -> usize {
    Limits::default().document_bytes_max
}

fn default_skew() -> i64 {
    Policy::default().clock_skew_secs_max
}

/// `[public]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSection {
    /// A project's public score is shown only from this many ratings.
    #[serde(default = "default_public_k")]
    pub k: u64,
    /// The weight, in ratings, of the category's mean that a project's score
    /// is pulled toward (the C of the Bayesian average).
    #[serde(default = "default_prior_weight")]
    pub prior_weight: f64,
    /// Working days (Monday to Friday, holidays skipped) a unit has to
    /// respond to a rating of level 1 or 2.
    #[serde(default = "default_rectify_days")]
    pub rectify_days: u32,
    /// Days off besides weekends, `YYYY-MM-DD`, skipped when counting
    /// working days.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Rating requests allowed per client address and minute; 0 turns the
    /// limit off.
    #[serde(default = "default_ratings_per_minute")]
    pub ratings_per_minute: u32,
    /// Where a resident's address is read from: `connection` (the TCP
    /// peer), or `x-forwarded-for` when a trusted reverse proxy sits in
    /// front of the node and appends the client's address.
    #[serde(default)]
    pub client_address: ClientAddressSetting,
}

/// `[public] client_address`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAddressSetting {
    /// The TCP connection's peer address.
    #[default]
    Connection,
    /// The last address in `X-Forwarded-For`.
    XForwardedFor,
}

fn default_ratings_per_minute() -> u32 {
    ApiLimits::default().ratings_per_minute
}

fn default_rectify_days() -> u32 {
    deltabench_model::rectify::Schedule::default().days
}

/// The most working days a unit may be given to respond (a year's worth).
const RECTIFY_DAYS_MAX: u32 = 260;

fn default_public_k() -> u64 {
    10
}

fn default_prior_weight() -> f64 {
    10.0
}

impl Default for PublicSection {
    fn default() -> Self {
        Self {
            k: default_public_k(),
            prior_weight: default_prior_weight(),
            ratings_per_minute: default_ratings_per_minute(),
            client_address: ClientAddressSetting::default(),
            rectify_days: default_rectify_days(),
            holidays: Vec::new(),
        }
    }
}

/// `[twin]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinSection {
    /// A forecast whose probability of missing its annual target exceeds
    /// this raises a warning (0 to 1).
    #[serde(default = "default_warn_p_miss")]
    pub warn_p_miss: f64,
}

fn default_warn_p_miss() -> f64 {
    0.5
}

impl Default for TwinSection {
    fn default() -> Self {
        Self {
            warn_p_miss: default_warn_p_miss(),
        }
    }
}

/// `[hotline]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineSection {
    /// A request closed within this many minutes of being accepted is
    /// flagged (closed suspiciously quickly); 0 turns the flag off.
    #[serde(default = "default_quick_close_minutes")]
    pub quick_close_minutes: u32,
    /// The harmonised category of each local request category, for the
    /// signed `hotline` summary: `housing_estate = "housing"`. A category
    /// not listed is published under its own name.
    #[serde(default)]
    pub categories: std::collections::BTreeMap<String, deltabench_model::CategoryId>,
}

fn default_quick_close_minutes() -> u32 {
    5
}

impl Default for HotlineSection {
    fn default() -> Self {
        Self {
            quick_close_minutes: default_quick_close_minutes(),
            categories: Default::default(),
        }
    }
}

/// `[disclosure]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureSection {
    /// A summary publishes an indicator's distribution (and a category's grade
    /// counts) only where at least this many units contributed.
    #[serde(default = "default_k")]
    pub k: u32,
}

impl Default for DisclosureSection {
    fn default() -> Self {
        Self { k: default_k() }
    }
}

fn default_k() -> u32 {
    Policy::default().disclosure_k
}

/// `[[alliances]]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllianceSection {
    /// The alliance's name, e.g. `yrd.tax`.
    pub id: String,
    /// The signed roster file that anchors trust in the alliance.
    pub roster: PathBuf,
}

/// The configured holidays as days; the error names the entry.
fn holidays(list: &[String]) -> Result<std::collections::BTreeSet<deltabench_model::rectify::Day>> {
    list.iter()
        .enumerate()
        .map(|(i, h)| {
            deltabench_model::rectify::Day::parse(&format!("[public] holidays[{i}]"), h)
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect()
}

/// Checks what the types alone do not: codes, names, addresses and the ranges
/// of limits (a zero timeout would answer every request 503).
fn check(c: &Config) -> Result<()> {
    JurisdictionCode::new(&c.node.jurisdiction).context("[node] jurisdiction")?;
    if c.public.k == 0 {
        bail!("[public] k must be at least 1");
    }
    if !(c.public.prior_weight.is_finite() && c.public.prior_weight >= 0.0) {
        bail!(
            "[public] prior_weight {} is not a number of ratings (0 or more)",
            c.public.prior_weight
        );
    }
    if !(1..=RECTIFY_DAYS_MAX).contains(&c.public.rectify_days) {
        bail!(
            "[public] rectify_days is {}; it must be a number of working days from 1 to {RECTIFY_DAYS_MAX}",
            c.public.rectify_days
        );
    }
    holidays(&c.public.holidays)?;
    c.debt
        .validate()
        .map_err(|e| anyhow::anyhow!("[debt] {}: {}", e.field, e.reason))?;
    if !(0.0..1.0).contains(&c.twin.warn_p_miss) {
        bail!(
            "[twin] warn_p_miss is {}; it must be a probability from 0 up to (not including) 1",
            c.twin.warn_p_miss
        );
    }
    let standard = deltabench_model::debt::DebtBands::default();
    let moved = (c.debt.yellow, c.debt.orange, c.debt.red)
        != (standard.yellow, standard.orange, standard.red);
    if moved && c.debt.source == standard.source {
        bail!(
            "[debt] the thresholds differ from the standard ones: name their source in [debt] source"
        );
    }
    for (key, v) in [("name_zh", &c.node.name_zh), ("name_en", &c.node.name_en)] {
        if v.trim().is_empty() {
            bail!("[node] {key} must not be empty");
        }
    }
    c.api
        .listen
        .parse::<std::net::SocketAddr>()
        .with_context(|| {
            format!(
                "[api] listen {:?} is not an address such as 127.0.0.1:8080",
                c.api.listen
            )
        })?;
    let at_least = |key: &str, v: u64, min: u64| {
        if v < min {
            bail!("{key} is {v}; it must be at least {min}");
        }
        Ok(())
    };
    at_least("[api] body_bytes_max", c.api.body_bytes_max as u64, 1024)?;
    at_least(
        "[api] bundle_bytes_max",
        c.api.bundle_bytes_max as u64,
        1024,
    )?;
    at_least("[api] request_timeout_secs", c.api.request_timeout_secs, 1)?;
    at_least(
        "[validation] document_bytes_max",
        c.validation.document_bytes_max as u64,
        1024,
    )?;
    at_least("[disclosure] k", u64::from(c.disclosure.k), 1)?;
    at_least("[p2p] redial_secs", c.p2p.redial_secs, 1)?;
    at_least("[p2p] anti_entropy_secs", c.p2p.anti_entropy_secs, 1)?;
    at_least(
        "[p2p] messages_per_sec_per_peer",
        u64::from(c.p2p.messages_per_sec_per_peer),
        1,
    )?;
    at_least("[p2p] ban_secs", c.p2p.ban_secs, 1)?;
    for (key, list) in [("listen", &c.p2p.listen), ("bootstrap", &c.p2p.bootstrap)] {
        for a in list {
            a.parse::<deltabench_net::Multiaddr>().map_err(|e| {
                anyhow::anyhow!(
                    "[p2p] {key} {a:?} is not a multiaddress such as /ip4/127.0.0.1/tcp/4001: {e}"
                )
            })?;
        }
    }
    if c.validation.clock_skew_secs_max < 0 {
        bail!("[validation] clock_skew_secs_max must not be negative");
    }
    for (i, t) in c.api.tokens.iter().enumerate() {
        t.validate()
            .map_err(|e| anyhow::anyhow!("[[api.tokens]] {}: {e}", i + 1))?;
    }
    for (i, a) in c.alliances.iter().enumerate() {
        deltabench_model::AllianceId::new(&a.id)
            .with_context(|| format!("[[alliances]] {}: id", i + 1))?;
    }
    Ok(())
}

/// A configuration together with the folder its relative paths start from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file's content.
    pub config: Config,
    /// The file's path.
    pub path: PathBuf,
    /// Its folder.
    pub base: PathBuf,
}

const HEADER: &str = "# deltabench node configuration. Every key is documented in node-config/README.md.\n# Relative paths are relative to this file's folder.\n\n";

impl Loaded {
    /// Reads and checks a configuration file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config: Config = toml::from_str(&text)
            .with_context(|| format!("config {} is not valid", path.display()))?;
        check(&config).with_context(|| format!("config {} is not valid", path.display()))?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Self {
            config,
            path: path.to_path_buf(),
            base,
        })
    }

    /// Writes the configuration back (atomically: a temporary file, then rename).
    pub fn write(&self) -> Result<()> {
        write_config(&self.path, &self.config)
    }

    /// A path from the file, made absolute against its folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// The node's identity.
    pub fn identity(&self) -> Result<Identity> {
        let n = &self.config.node;
        Ok(Identity {
            code: JurisdictionCode::new(&n.jurisdiction)?,
            name_zh: n.name_zh.clone(),
            name_en: n.name_en.clone(),
        })
    }

    /// Reads the node's key.
    pub fn key(&self) -> Result<NodeKey> {
        let path = self.resolve(&self.config.node.key_file);
        let pem = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the node key {}", path.display()))?;
        NodeKey::from_pem(&pem).with_context(|| format!("key file {}", path.display()))
    }

    /// Reads the alliance anchor rosters.
    pub fn anchors(&self) -> Result<Vec<RosterDoc>> {
        let mut out = Vec::new();
        for a in &self.config.alliances {
            let path = self.resolve(&a.roster);
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("alliance {}: cannot read roster {}", a.id, path.display())
            })?;
            let roster = parse_strict(text.as_bytes())
                .map_err(anyhow::Error::from)
                .and_then(|v| RosterDoc::from_payload(v).map_err(anyhow::Error::from))
                .with_context(|| {
                    format!("alliance {}: roster {} is not valid", a.id, path.display())
                })?;
            if roster.roster().alliance.as_str() != a.id {
                bail!(
                    "alliance {}: roster {} is for alliance {}",
                    a.id,
                    path.display(),
                    roster.roster().alliance
                );
            }
            out.push(roster);
        }
        Ok(out)
    }

    /// The validation policy.
    pub fn policy(&self) -> Policy {
        Policy {
            limits: Limits {
                document_bytes_max: self.config.validation.document_bytes_max,
            },
            clock_skew_secs_max: self.config.validation.clock_skew_secs_max,
            disclosure_k: self.config.disclosure.k,
            public: deltabench_engine::public::Disclosure {
                k: self.config.public.k,
                prior_weight: self.config.public.prior_weight,
            },
            rectify: deltabench_model::rectify::Schedule {
                days: self.config.public.rectify_days,
                // Checked when the configuration was read.
                holidays: holidays(&self.config.public.holidays).unwrap_or_default(),
            },
            debt_bands: self.config.debt.clone(),
            warn_p_miss: self.config.twin.warn_p_miss,
            hotline_quick_close_secs: i64::from(self.config.hotline.quick_close_minutes) * 60,
            hotline_categories: self.config.hotline.categories.clone(),
        }
    }

    /// The network settings, for a node with `key`.
    pub fn net_config(&self, key: &deltabench_trust::NodeKey) -> deltabench_net::Config {
        let p = &self.config.p2p;
        let parse = |l: &[String]| l.iter().filter_map(|a| a.parse().ok()).collect();
        let mut c = deltabench_net::Config::new(key.seed());
        c.listen = parse(&p.listen);
        c.bootstrap = parse(&p.bootstrap);
        c.alliances = self.config.alliances.iter().map(|a| a.id.clone()).collect();
        // A document and the gossip frame around it.
        c.message_bytes_max = self.config.validation.document_bytes_max + 4096;
        c.messages_per_sec_per_peer = p.messages_per_sec_per_peer;
        c.redial_interval = Duration::from_secs(p.redial_secs);
        c.anti_entropy_interval = Duration::from_secs(p.anti_entropy_secs);
        c.ban_duration = Duration::from_secs(p.ban_secs);
        c
    }

    /// The API bounds.
    pub fn api_limits(&self) -> ApiLimits {
        ApiLimits {
            body_bytes_max: self.config.api.body_bytes_max,
            bundle_bytes_max: self.config.api.bundle_bytes_max,
            request_timeout: Duration::from_secs(self.config.api.request_timeout_secs),
            ratings_per_minute: self.config.public.ratings_per_minute,
            client_address: match self.config.public.client_address {
                ClientAddressSetting::Connection => ClientAddress::Connection,
                ClientAddressSetting::XForwardedFor => ClientAddress::ForwardedFor,
            },
        }
    }
}

/// Writes `config` to `path` with the header comment, atomically.
pub fn write_config(path: &Path, config: &Config) -> Result<()> {
    let text = format!("{HEADER}{}", toml::to_string_pretty(config)?);
    write_atomic(path, text.as_bytes(), false)
}

/// Writes a file through a temporary file and a rename, so a crash leaves the
/// old or the new content, never half of it. `secret` files get mode 0600
/// before any byte is written.
pub fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    write_atomic_with(path, secret, |f| Ok(f.write_all(bytes)?))
}

/// [`write_atomic`] of what `write` writes to the file, in as many writes as
/// it likes: the whole or nothing appears under `path`.
pub fn write_atomic_with(
    path: &Path,
    secret: bool,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A temporary name of its own per file, so that two files never share one.
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let result = (|| -> Result<()> {
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        #[cfg(not(unix))]
        let _ = secret;
        write(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_is_a_valid_config() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node-config/example.node.toml"
        ));
        let text = std::fs::read_to_string(path).unwrap();
        let config: Config = toml::from_str(&text).unwrap();
        check(&config).unwrap();
        assert_eq!(config.node.jurisdiction, "320585");
        assert_eq!(config.alliances.len(), 1);
    }

    #[test]
    fn written_configs_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node-config/example.node.toml"
        ))
        .unwrap();
        let mut config: Config = toml::from_str(&text).unwrap();
        config.alliances.clear();
        write_config(&path, &config).unwrap();
        let back = Loaded::read(&path).unwrap();
        assert_eq!(back.config.api.tokens, config.api.tokens);
        assert!(
            !std::fs::read_to_string(&path)
                .unwrap()
                .contains("alliances")
        );
        assert!(!dir.path().join(".node.toml.tmp").exists());
    }

    #[test]
    fn rectification_settings_are_checked_and_name_the_key() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node-config/example.node.toml"
        ))
        .unwrap();
        let config: Config = toml::from_str(&text).unwrap();
        assert_eq!(config.public.rectify_days, 15);
        assert_eq!(config.public.holidays.len(), 2);
        let loaded = Loaded {
            config: config.clone(),
            path: PathBuf::from("node.toml"),
            base: PathBuf::from("."),
        };
        let policy = loaded.policy();
        assert_eq!(policy.rectify.days, 15);
        assert_eq!(policy.rectify.holidays.len(), 2);
        let mut bad = config.clone();
        bad.public.rectify_days = 0;
        let e = check(&bad).unwrap_err().to_string();
        assert!(e.contains("[public] rectify_days is 0"), "{e}");
        let mut bad = config.clone();
        bad.public.holidays.push("2025-02-30".into());
        let e = check(&bad).unwrap_err().to_string();
        assert!(
            e.contains("[public] holidays[2]") && e.contains("2025-02-30"),
            "{e}"
        );
        // Both keys are optional.
        let section: PublicSection = toml::from_str("k = 5").unwrap();
        assert_eq!((section.rectify_days, section.holidays.len()), (15, 0));
    }

    #[test]
    fn debt_bands_are_configuration_with_their_source() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node-config/example.node.toml"
        ))
        .unwrap();
        let config: Config = toml::from_str(&text).unwrap();
        check(&config).unwrap();
        assert_eq!(
            (config.debt.yellow, config.debt.orange, config.debt.red),
            (120.0, 200.0, 300.0)
        );
        // Moved thresholds need their own source.
        let mut moved = config.clone();
        moved.debt = toml::from_str("red = 250.0").unwrap();
        let e = check(&moved).unwrap_err().to_string();
        assert!(e.contains("name their source"), "{e}");
        moved.debt.source = "某省政府债务风险预警办法".into();
        check(&moved).unwrap();
        let mut bad = moved.clone();
        bad.debt.orange = 260.0;
        let e = check(&bad).unwrap_err().to_string();
        assert!(e.contains("[debt] red") && e.contains("must rise"), "{e}");
        let loaded = Loaded {
            config: moved,
            path: PathBuf::from("node.toml"),
            base: PathBuf::from("."),
        };
        assert_eq!(loaded.policy().debt_bands.red, 250.0);
    }

    #[test]
    fn p2p_values_are_checked_and_name_the_key() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node-config/example.node.toml"
        ))
        .unwrap();
        let config: Config = toml::from_str(&text).unwrap();
        assert_eq!(config.p2p.anti_entropy_secs, 30);
        let mut bad = config.clone();
        bad.p2p.bootstrap = vec!["/ip4/127.0.0.1/tcpp/4001".into()];
        let e = check(&bad).unwrap_err().to_string();
        assert!(e.contains("[p2p] bootstrap") && e.contains("tcpp"), "{e}");
        let mut bad = config.clone();
        bad.p2p.redial_secs = 0;
        let e = check(&bad).unwrap_err().to_string();
        assert!(e.contains("[p2p] redial_secs"), "{e}");
        // The network settings follow the file.
        let loaded = Loaded {
            config,
            path: PathBuf::from("node.toml"),
            base: PathBuf::from("."),
        };
        let net = loaded.net_config(&deltabench_trust::NodeKey::from_seed([1; 32]));
        assert_eq!(net.alliances, vec!["yrd.tax".to_owned()]);
        assert_eq!(net.message_bytes_max, 262_144 + 4096);
        assert_eq!(net.anti_entropy_interval, Duration::from_secs(30));
    }
}
