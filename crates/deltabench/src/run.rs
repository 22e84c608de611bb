//! `deltabench run`: the node process.

use crate::cli::{LogFormat, RunArgs};
use crate::config::Loaded;
use crate::init::peer_id;
use anyhow::{Context, Result, bail};
use deltabench::federation::{Federation, NetMetrics};
use deltabench_api::auth::Tokens;
use deltabench_api::{AppState, NodeInfo, PeerTable, router};
use deltabench_model::Timestamp;
use deltabench_node::{Clock, Node, SystemClock};
use deltabench_store::Store;
use prometheus_client::registry::Registry;
use std::io::Write;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// Sets up logging on stderr: text or JSON lines; RUST_LOG overrides the level.
pub fn init_tracing(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The environment variable that shifts a node's clock by a number of
/// seconds, for drills of what time does (expired rosters, skewed members).
/// Never set in production.
pub const CLOCK_OFFSET_ENV: &str = "DELTABENCH_CLOCK_OFFSET_SECS";

/// The node's clock: the system clock, shifted by
/// [`CLOCK_OFFSET_ENV`] when that is set.
fn clock() -> Result<Arc<dyn Clock>> {
    match std::env::var(CLOCK_OFFSET_ENV) {
        Ok(text) => {
            let secs: i64 = text.trim().parse().with_context(|| {
                format!("{CLOCK_OFFSET_ENV}={text:?} is not a whole number of seconds")
            })?;
            tracing::warn!(secs, "the node's clock is shifted by {CLOCK_OFFSET_ENV}");
            Ok(Arc::new(OffsetClock(secs)))
        }
        Err(_) => Ok(Arc::new(SystemClock)),
    }
}

/// The system clock shifted by a number of seconds.
struct OffsetClock(i64);

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        let t = SystemClock.now().unix().saturating_add(self.0);
        Timestamp::from_unix(t).unwrap_or_else(|_| SystemClock.now())
    }
}

/// Opens the node described by a config file. The store must exist and hold
/// the node's chain: `init` made both. Starting a new chain here would sign a
/// second first document under the same key, which every peer holding the
/// first would record as equivocation.
pub fn open_node(loaded: &Loaded) -> Result<Node> {
    let identity = loaded.identity()?;
    let key = loaded.key()?;
    let anchors = loaded.anchors()?;
    let data = loaded.resolve(&loaded.config.node.data_dir);
    if !data.is_dir() {
        bail!(
            "the data folder {} does not exist: restore it from a backup (deltabench restore); \
             a node cannot start a second chain under the same key",
            data.display()
        );
    }
    let store =
        Store::open(&data).with_context(|| format!("opening the store in {}", data.display()))?;
    let code = identity.code.clone();
    let node = Node::open(identity, key, store, anchors, loaded.policy(), clock()?)?;
    if node.store().head(&code)?.is_none() {
        bail!(
            "the store in {} holds no chain for {code}: restore it from a backup (deltabench restore)",
            data.display()
        );
    }
    Ok(node)
}

pub fn run(args: RunArgs) -> Result<()> {
    let loaded = Loaded::read(&args.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("deltabench")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(loaded))
}

async fn serve(loaded: Loaded) -> Result<()> {
    let node = Arc::new(tokio::task::block_in_place(|| open_node(&loaded))?);
    let mut registry = Registry::default();
    node.metrics().register(&mut registry);
    let net_metrics = NetMetrics::default();
    net_metrics.register(&mut registry);
    let peers = PeerTable::default();
    let state = AppState {
        node: node.clone(),
        tokens: Arc::new(Tokens::new(loaded.config.api.tokens.clone())),
        registry: Arc::new(registry),
        info: Arc::new(NodeInfo {
            peer_id: peer_id(node.key())?,
            version: env!("CARGO_PKG_VERSION").into(),
        }),
        limits: loaded.api_limits(),
        peers: peers.clone(),
    };
    let listen = &loaded.config.api.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("the API cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // One stop for the API, the network and the final flush.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let net_config = loaded.net_config(node.key());
    let (_federation, swarm) = Federation::start(
        node.clone(),
        net_config,
        peers,
        net_metrics,
        stopped(stop_rx.clone()),
    )
    .context("starting the network")?;
    tracing::info!(
        jurisdiction = %node.identity().code,
        documents = node.store().document_count(),
        alliances = node.membership().rosters().count(),
        "node started"
    );
    let signals = Signals::register()?;
    tokio::spawn(async move {
        signals.recv().await;
        let _ = stop_tx.send(true);
    });
    // The one line on stdout: scripts and tests read the address from it.
    println!("deltabench: api listening on http://{addr}");
    let _ = std::io::stdout().flush();
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stopped(stop_rx))
    .await
    .context("serving the API")?;
    let _ = swarm.await;
    tokio::task::block_in_place(|| node.flush()).context("flushing the store at shutdown")?;
    tracing::info!("node stopped");
    Ok(())
}

/// The shutdown signals, registered when this is made: a signal that arrives
/// after the node said it is listening must find its handler in place.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                int: signal(SignalKind::interrupt()).context("registering SIGINT")?,
                term: signal(SignalKind::terminate()).context("registering SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves on SIGINT or SIGTERM.
    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => tracing::info!("SIGINT: stopping"),
            _ = self.term.recv() => tracing::info!("SIGTERM: stopping"),
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C: stopping");
        }
    }
}
