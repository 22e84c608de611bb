//! What the targets run against, built once per process: the yrd.tax
//! alliance's roster (Taicang, Kunshan, Jiading); Taicang's and Kunshan's
//! nodes with the sample data, their summaries for 2024 and 2025 and
//! recognised crosswalks onto the alliance's reference framework, exchanged
//! as bundles; and documents a member must refuse (an equivocation, one from
//! the future, one from outside the alliance). Fresh Jiading nodes import the
//! fuzzed bundles.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use deltabench_api::auth::{Role, TokenHash, Tokens, hash_token};
use deltabench_api::{ApiLimits, AppState, NodeInfo, router};
use deltabench_model::documents::{
    Decision, Endorsement, Framework, JurisdictionDecl, Member, Roster, SignedRoster,
};
use deltabench_model::local::Unit;
use deltabench_model::{AllianceId, FrameworkId, JurisdictionCode, Timestamp, UnitId};
use deltabench_node::{Clock, Identity, Node, Policy, SystemClock};
use deltabench_store::Store;
use deltabench_trust::roster::{RosterDoc, sign_roster};
use deltabench_trust::{Document, Header, Limits, NodeKey};
use http_body_util::BodyExt;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::runtime::Runtime;
use tower::ServiceExt;

const ADMIN: &str = "fuzz-admin";
/// The viewer token of the fixture's routers.
pub(crate) const VIEWER: &str = "fuzz-viewer";

macro_rules! sample {
    ($path:literal) => {
        include_str!(concat!("../../../node-config/samples/", $path))
    };
}

/// Taicang's sample observation files.
pub(crate) const TAICANG_CSV: [&str; 2] = [
    sample!("taicang/observations-2024.csv"),
    sample!("taicang/observations-2025.csv"),
];

struct Party {
    seed: u8,
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    framework: &'static str,
    framework_id: &'static str,
    units: &'static str,
    observations: [&'static str; 2],
    crosswalks: [&'static str; 3],
}

const TAICANG: Party = Party {
    seed: 1,
    code: "320585",
    name_zh: "太仓市",
    name_en: "Taicang",
    framework: sample!("taicang/framework.json"),
    framework_id: "taicang.hqd",
    units: sample!("taicang/units.json"),
    observations: TAICANG_CSV,
    crosswalks: [
        sample!("yrd.tax/crosswalks/taicang.ontime.json"),
        sample!("yrd.tax/crosswalks/taicang.satisfaction.json"),
        sample!("yrd.tax/crosswalks/taicang.processing.json"),
    ],
};

const KUNSHAN: Party = Party {
    seed: 2,
    code: "320583",
    name_zh: "昆山市",
    name_en: "Kunshan",
    framework: sample!("kunshan/framework.json"),
    framework_id: "kunshan.perf",
    units: sample!("kunshan/units.json"),
    observations: [
        sample!("kunshan/observations-2024.csv"),
        sample!("kunshan/observations-2025.csv"),
    ],
    crosswalks: [
        sample!("yrd.tax/crosswalks/kunshan.ontime.json"),
        sample!("yrd.tax/crosswalks/kunshan.satisfaction.json"),
        sample!("yrd.tax/crosswalks/kunshan.processing.json"),
    ],
};

/// The member whose fresh node imports the fuzzed bundles: it holds only
/// its own declaration, so both other chains are new to it.
const JIADING: Party = Party {
    seed: 3,
    code: "310114",
    name_zh: "嘉定区",
    name_en: "Jiading",
    framework: sample!("jiading/framework.json"),
    framework_id: "jiading.gov",
    units: sample!("jiading/units.json"),
    observations: [
        sample!("jiading/observations-2024.csv"),
        sample!("jiading/observations-2025.csv"),
    ],
    crosswalks: [
        sample!("yrd.tax/crosswalks/jiading.ontime.json"),
        sample!("yrd.tax/crosswalks/jiading.satisfaction.json"),
        sample!("yrd.tax/crosswalks/jiading.processing.json"),
    ],
};

const REFERENCE: &str = sample!("yrd.tax/framework.json");

impl Party {
    fn key(&self) -> NodeKey {
        NodeKey::from_seed([self.seed; 32])
    }

    fn code(&self) -> JurisdictionCode {
        JurisdictionCode::new(self.code).expect("a valid code")
    }

    fn member(&self) -> Member {
        Member {
            code: self.code(),
            key: self.key().public_hex(),
            name_zh: self.name_zh.into(),
            name_en: self.name_en.into(),
        }
    }

    fn node(&self, roster: &SignedRoster) -> Node {
        let node = Node::open(
            Identity {
                code: self.code(),
                name_zh: self.name_zh.into(),
                name_en: self.name_en.into(),
            },
            self.key(),
            Store::open_temporary().expect("a temporary store"),
            vec![
                RosterDoc::from_payload(serde_json::to_value(roster).expect("a roster serializes"))
                    .expect("the fixture's roster is valid"),
            ],
            Policy::default(),
            Arc::new(SystemClock),
        )
        .expect("the fixture's node opens");
        node.declare().expect("the node declares itself");
        node
    }
}

/// The state the targets share.
pub struct Fixture {
    /// The runtime the router is called on.
    pub rt: Runtime,
    /// Taicang's router, holding both members' documents.
    pub taicang: Router,
    /// The alliance's roster in force (version 1).
    pub roster: SignedRoster,
    /// A valid version 2 of the roster (Qingpu admitted).
    pub next_roster: SignedRoster,
    /// Signed documents: both members' chains and three that Taicang must
    /// refuse (a Kunshan equivocation, a Kunshan document dated three hours
    /// ahead, a document from outside the alliance).
    pub pool: Vec<Vec<u8>>,
    /// Taicang's units.
    pub units: HashMap<UnitId, Unit>,
    /// Taicang's framework.
    pub frameworks: Vec<Framework>,
}

/// The alliance's roster at `version` with `members`, approved by Taicang
/// and Kunshan.
fn roster(version: u64, members: Vec<Member>) -> SignedRoster {
    let roster = Roster {
        alliance: AllianceId::new("yrd.tax").expect("a valid id"),
        version,
        threshold: members.len() as u32 / 2 + 1,
        members,
        expires_at: Timestamp::from_unix(SystemClock.now().unix() + 86_400 * 365)
            .expect("a valid time"),
        reference_framework: Some(FrameworkId::new("yrd.tax").expect("a valid id")),
        recognition_quorum: Some(1),
        former: vec![],
        previous: None,
    };
    let (t, k) = (TAICANG.key(), KUNSHAN.key());
    sign_roster(&roster, &[(&t, TAICANG.code()), (&k, KUNSHAN.code())])
        .expect("the fixture's roster signs")
        .signed()
        .clone()
}

fn genesis() -> SignedRoster {
    roster(
        1,
        vec![TAICANG.member(), KUNSHAN.member(), JIADING.member()],
    )
}

/// A fresh Jiading node (temporary store) holding only its own declaration.
pub fn fresh_jiading() -> Node {
    JIADING.node(&fixture().roster)
}

fn app(node: Node) -> Router {
    let tokens = [(Role::Admin, ADMIN), (Role::Viewer, VIEWER)]
        .into_iter()
        .map(|(role, t)| TokenHash {
            role,
            sha256: hash_token(t),
            name: None,
        })
        .collect();
    router(AppState {
        node: Arc::new(node),
        tokens: Arc::new(Tokens::new(tokens)),
        registry: Arc::new(Registry::default()),
        info: Arc::new(NodeInfo {
            peer_id: "fuzz".into(),
            version: "fuzz".into(),
        }),
        limits: ApiLimits::default(),
        peers: Default::default(),
    })
}

/// Calls `app` as the admin; panics unless the answer is a success.
async fn admin(app: &Router, method: &str, uri: &str, ctype: &str, body: Vec<u8>) -> Vec<u8> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .body(Body::from(body))
        .expect("a valid request");
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .expect("an in-memory body")
        .to_bytes()
        .to_vec();
    assert!(
        status.is_success(),
        "{method} {uri}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

async fn load(app: &Router, p: &Party) {
    let json = "application/json";
    admin(app, "POST", "/api/v1/frameworks", json, p.framework.into()).await;
    admin(app, "POST", "/api/v1/units", json, p.units.into()).await;
    for csv in p.observations {
        admin(app, "POST", "/api/v1/observations", "text/csv", csv.into()).await;
    }
    for period in ["2024", "2025"] {
        let body = json!({"framework": p.framework_id, "version": "1.0.0", "period": period});
        admin(
            app,
            "POST",
            "/api/v1/summaries",
            json,
            body.to_string().into(),
        )
        .await;
    }
}

async fn propose(app: &Router, p: &Party) {
    for c in p.crosswalks {
        admin(
            app,
            "POST",
            "/api/v1/crosswalks",
            "application/json",
            c.into(),
        )
        .await;
    }
}

async fn exchange(from: &Router, to: &Router) -> Value {
    let bundle = admin(from, "GET", "/api/v1/bundle", "application/json", vec![]).await;
    let report = admin(to, "POST", "/api/v1/bundle", "application/json", bundle).await;
    serde_json::from_slice(&report).expect("a bundle report")
}

/// Documents Taicang must refuse, signed by real keys.
fn refusable(kunshan_chain: &[Document]) -> Vec<Vec<u8>> {
    let endorsement = |comment: &str| Endorsement {
        crosswalk: "kunshan.ontime".parse().expect("a valid id"),
        crosswalk_hash: kunshan_chain[0].hash().clone(),
        decision: Decision::Reject,
        comment: Some(comment.into()),
    };
    let now = SystemClock.now().unix();
    let at = |secs: i64| Timestamp::from_unix(secs).expect("a valid time");
    let first = &kunshan_chain[0];
    let last = kunshan_chain.last().expect("a chain");
    let sign = |key: &NodeKey, header: Header, comment: &str| {
        Document::sign(key, header, &endorsement(comment))
            .expect("signs")
            .bytes()
            .to_vec()
    };
    let outsider = NodeKey::from_seed([9; 32]);
    let outsider_code = JurisdictionCode::new("320582").expect("a valid code");
    vec![
        // A second document at Kunshan's sequence number 2.
        sign(
            &KUNSHAN.key(),
            Header {
                issuer: KUNSHAN.code(),
                seq: 2,
                prev: Some(first.hash().clone()),
                issued_at: at(now),
            },
            "equivocation",
        ),
        // The next Kunshan document, dated three hours ahead.
        sign(
            &KUNSHAN.key(),
            Header {
                issuer: KUNSHAN.code(),
                seq: last.seq + 1,
                prev: Some(last.hash().clone()),
                issued_at: at(now + 3 * 3600),
            },
            "from the future",
        ),
        // The declaration of a jurisdiction outside the alliance.
        Document::sign(
            &outsider,
            Header {
                issuer: outsider_code.clone(),
                seq: 1,
                prev: None,
                issued_at: at(now),
            },
            &JurisdictionDecl {
                code: outsider_code,
                name_zh: "张家港市".into(),
                name_en: "Zhangjiagang".into(),
                public_key: outsider.public_hex(),
            },
        )
        .expect("signs")
        .bytes()
        .to_vec(),
    ]
}

/// Builds the fixture: both nodes loaded, bundles exchanged both ways.
fn build() -> Fixture {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let genesis = genesis();
    let next_roster = roster(
        2,
        vec![
            TAICANG.member(),
            KUNSHAN.member(),
            JIADING.member(),
            Member {
                code: JurisdictionCode::new("310118").expect("a valid code"),
                key: NodeKey::from_seed([4; 32]).public_hex(),
                name_zh: "青浦区".into(),
                name_en: "Qingpu".into(),
            },
        ],
    );
    let taicang = app(TAICANG.node(&genesis));
    let kunshan = app(KUNSHAN.node(&genesis));
    rt.block_on(async {
        load(&taicang, &TAICANG).await;
        load(&kunshan, &KUNSHAN).await;
        admin(
            &taicang,
            "POST",
            "/api/v1/frameworks",
            "application/json",
            REFERENCE.into(),
        )
        .await;
        propose(&taicang, &TAICANG).await;
        exchange(&taicang, &kunshan).await;
        propose(&kunshan, &KUNSHAN).await;
        exchange(&kunshan, &taicang).await;
    });
    let bundle = rt.block_on(admin(
        &taicang,
        "GET",
        "/api/v1/bundle",
        "application/json",
        vec![],
    ));
    let limits = Limits::default();
    let mut pool: Vec<Vec<u8>> = deltabench_api::parse_bundle(&bundle)
        .expect("the node's own bundle parses")
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let mut kunshan_chain: Vec<Document> = pool
        .iter()
        .filter_map(|b| Document::decode(b, &limits).ok())
        .filter(|d| d.issuer == KUNSHAN.code())
        .collect();
    kunshan_chain.sort_by_key(|d| d.seq);
    pool.extend(refusable(&kunshan_chain));
    let frameworks = vec![serde_json::from_str(TAICANG.framework).expect("the sample framework")];
    let units: Vec<Unit> = serde_json::from_str(TAICANG.units).expect("the sample units");
    Fixture {
        rt,
        taicang,
        roster: genesis,
        next_roster,
        pool,
        units: units.into_iter().map(|u| (u.id.clone(), u)).collect(),
        frameworks,
    }
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}
