//! `deltabench init`: create a node.

use crate::cli::InitArgs;
use crate::config::{
    AllianceSection, ApiSection, Config, DisclosureSection, NodeSection, P2pSection,
    ValidationSection, write_atomic, write_config,
};
use anyhow::{Context, Result, bail};
use deltabench_api::auth::{Role, TokenHash, hash_token};
use deltabench_model::JurisdictionCode;
use deltabench_node::{Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::NodeKey;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

/// A random token: 32 bytes from the OS, as hex.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    Ok(hex::encode(bytes))
}

/// The libp2p peer id of a node key (the same ed25519 key).
pub fn peer_id(key: &NodeKey) -> Result<String> {
    let kp = libp2p_identity::Keypair::ed25519_from_bytes(key.seed())
        .context("the node key is not a valid ed25519 key")?;
    Ok(kp.public().to_peer_id().to_string())
}

fn check_multiaddr(field: &str, a: &str) -> Result<()> {
    if !a.starts_with('/') || a.contains(char::is_whitespace) {
        bail!("{field} {a:?} is not a multiaddress such as /ip4/127.0.0.1/tcp/4001");
    }
    Ok(())
}

pub fn init(args: InitArgs) -> Result<()> {
    let code = JurisdictionCode::new(&args.jurisdiction).context("--jurisdiction")?;
    for (flag, v) in [("--name-zh", &args.name_zh), ("--name-en", &args.name_en)] {
        if v.trim().is_empty() {
            bail!("{flag} must not be empty");
        }
    }
    args.api_listen
        .parse::<std::net::SocketAddr>()
        .with_context(|| {
            format!(
                "--api-listen {:?} is not an address such as 127.0.0.1:8080",
                args.api_listen
            )
        })?;
    check_multiaddr("--p2p-listen", &args.p2p_listen)?;
    for b in &args.bootstrap {
        check_multiaddr("--bootstrap", b)?;
    }
    let config_path = args.dir.join("node.toml");
    let owned = [
        config_path.clone(),
        args.dir.join("node.key"),
        args.dir.join("data"),
    ];
    if let Some(p) = owned.iter().find(|p| p.exists()) {
        bail!(
            "{} already holds a node ({} exists)",
            args.dir.display(),
            p.display()
        );
    }
    let created = !args.dir.exists();
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let result = create(&args, code, &config_path);
    if result.is_err() {
        // Leave nothing half-made behind: the folder if init made it, else
        // the files init writes.
        if created {
            let _ = std::fs::remove_dir_all(&args.dir);
        } else {
            let _ = std::fs::remove_file(&owned[0]);
            let _ = std::fs::remove_file(&owned[1]);
            let _ = std::fs::remove_dir_all(&owned[2]);
        }
    }
    let (output, human) = result?;
    if args.json {
        println!("{output}");
    } else {
        println!("{human}");
    }
    Ok(())
}

fn create(
    args: &InitArgs,
    code: JurisdictionCode,
    config_path: &Path,
) -> Result<(serde_json::Value, String)> {
    let key = NodeKey::generate()?;
    write_atomic(&args.dir.join("node.key"), key.to_pem()?.as_bytes(), true)?;
    let admin = new_token()?;
    let viewer = new_token()?;
    let identity = Identity {
        code: code.clone(),
        name_zh: args.name_zh.trim().to_owned(),
        name_en: args.name_en.trim().to_owned(),
    };
    // The declaration is the first link of the node's chain.
    {
        let store = Store::open(&args.dir.join("data"))?;
        let node = Node::open(
            identity,
            NodeKey::from_seed(key.seed()),
            store,
            vec![],
            Policy::default(),
            Arc::new(SystemClock),
        )?;
        node.declare()
            .context("signing the jurisdiction declaration")?;
    }
    let config = Config {
        node: NodeSection {
            jurisdiction: code.to_string(),
            name_zh: args.name_zh.trim().to_owned(),
            name_en: args.name_en.trim().to_owned(),
            key_file: "node.key".into(),
            data_dir: "data".into(),
        },
        api: ApiSection {
            listen: args.api_listen.clone(),
            body_bytes_max: deltabench_api::ApiLimits::default().body_bytes_max,
            bundle_bytes_max: deltabench_api::ApiLimits::default().bundle_bytes_max,
            request_timeout_secs: deltabench_api::ApiLimits::default()
                .request_timeout
                .as_secs(),
            tokens: vec![
                TokenHash {
                    role: Role::Admin,
                    sha256: hash_token(&admin),
                    name: Some("admin".into()),
                },
                TokenHash {
                    role: Role::Viewer,
                    sha256: hash_token(&viewer),
                    name: Some("viewer".into()),
                },
            ],
        },
        p2p: P2pSection {
            listen: vec![args.p2p_listen.clone()],
            bootstrap: args.bootstrap.clone(),
            ..P2pSection::default()
        },
        validation: ValidationSection::default(),
        disclosure: DisclosureSection::default(),
        public: Default::default(),
        debt: Default::default(),
        twin: Default::default(),
        hotline: Default::default(),
        alliances: Vec::<AllianceSection>::new(),
    };
    write_config(config_path, &config)?;
    let config_abs =
        std::fs::canonicalize(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let peer = peer_id(&key)?;
    let json = json!({
        "config": config_abs.display().to_string(),
        "peer_id": peer,
        "public_key": key.public_hex().as_str(),
        "admin_token": admin,
        "viewer_token": viewer,
    });
    let human = format!(
        "created node {code} ({}) in {}\n  config:       {}\n  peer id:      {peer}\n  public key:   {}\n  admin token:  {admin}\n  viewer token: {viewer}\nThe tokens are shown only now; the node keeps their hashes.",
        args.name_en,
        args.dir.display(),
        config_abs.display(),
        key.public_hex(),
    );
    Ok((json, human))
}
