//! The composed libp2p behaviour and its settings.

use crate::protocol::{PROTOCOL, SyncRequest, SyncResponse};
use crate::{Config, NetError};
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{StreamProtocol, allow_block_list, identify, identity, ping, request_response};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Scores at or below this are graylisted: their messages are ignored. The
/// swarm task also disconnects and blocks such peers.
pub(crate) const GRAYLIST_THRESHOLD: f64 = -80.0;

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) sync: request_response::cbor::Behaviour<SyncRequest, SyncResponse>,
}

fn message_id(m: &gossipsub::Message) -> gossipsub::MessageId {
    // Topic and bytes: the same document published on two alliances' topics
    // is two messages.
    let mut h = Sha256::new();
    h.update(m.topic.as_str().as_bytes());
    h.update([0]);
    h.update(&m.data);
    gossipsub::MessageId::from(h.finalize().to_vec())
}

/// Per-topic score parameters: an invalid message costs a lot and is
/// remembered for a while; the delivery-rate terms are off (a small
/// federation publishes rarely, so silence is no fault).
fn topic_params() -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 1.0,
        first_message_deliveries_weight: 0.0,
        first_message_deliveries_decay: 0.5,
        first_message_deliveries_cap: 1.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_message_deliveries_decay: 0.5,
        mesh_message_deliveries_cap: 1.0,
        mesh_message_deliveries_threshold: 1.0,
        mesh_message_deliveries_window: Duration::from_millis(10),
        mesh_message_deliveries_activation: Duration::from_secs(5),
        mesh_failure_penalty_weight: 0.0,
        mesh_failure_penalty_decay: 0.5,
        // The penalty is weight x count²: three invalid messages cost -90,
        // past the graylist threshold.
        invalid_message_deliveries_weight: -10.0,
        // Decays by 1% per second: forgiven after some minutes.
        invalid_message_deliveries_decay: 0.99,
    }
}

pub(crate) fn score_params(alliances: &[String]) -> gossipsub::PeerScoreParams {
    let mut p = gossipsub::PeerScoreParams {
        // Loopback and shared NAT addresses are normal in a federation of
        // offices: many peers behind one IP is no sign of a Sybil here.
        ip_colocation_factor_weight: 0.0,
        // Rate-limit strikes come in as the application score.
        app_specific_weight: 1.0,
        decay_interval: Duration::from_secs(1),
        decay_to_zero: 0.01,
        retain_score: Duration::from_secs(3600),
        ..Default::default()
    };
    for a in alliances {
        p.topics
            .insert(IdentTopic::new(crate::topic_name(a)).hash(), topic_params());
    }
    p
}

pub(crate) fn thresholds() -> gossipsub::PeerScoreThresholds {
    gossipsub::PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: GRAYLIST_THRESHOLD,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 5.0,
    }
}

pub(crate) fn build(
    key: &identity::Keypair,
    config: &Config,
    registry: &mut prometheus_client::registry::Registry,
) -> Result<Behaviour, NetError> {
    let gs_config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(message_id)
        .max_transmit_size(config.message_bytes_max)
        // Settings measured with `scripts/bench.sh scale` (100 nodes on
        // loopback in one process, each dialling 6 random earlier ones,
        // 11.6 connections per node; 100 endorsements of 722 bytes at 10/s;
        // 2026-12-03, a 2-core VM shared with other work, load 12-58, so
        // latencies vary by run; duplicates and bytes do not).
        //
        // Heartbeat 700 ms (default 1 s): mesh repair and IHAVE gossip
        // come sooner. With 1 s the p99 was 340 ms against 137-349 ms;
        // bytes and duplicates the same (2.6 against 2.4-2.5 KB and 1.33
        // against 1.37-1.42 per document per node): kept.
        .heartbeat_interval(Duration::from_millis(700))
        // Mesh degree 4 (2..8; gossipsub's default is 6, 5..12). At 100
        // nodes D = 6 sent 4.6 KB and received 4.37 duplicates per
        // document per node against 2.4-2.5 KB and 1.37-1.42 with D = 4,
        // for a p99 within run-to-run noise (91 ms against 137-349 ms).
        // D = 3 saved little (2.6 KB, 1.03 duplicates) and its p99 was
        // 1.6 s at load 43 (more hops, each behind a node's validation). Keep the
        // sizes consistent: mesh_outbound_min <= mesh_n_low <= mesh_n <=
        // mesh_n_high (`build()` does not check the global ones).
        .mesh_n_low(2)
        .mesh_n(4)
        .mesh_n_high(8)
        .mesh_outbound_min(1)
        // Flood publish (the default, explicit here): a node's own
        // document goes to every connected subscriber, not only its mesh.
        // Without it at 100 nodes (in the most loaded run, load 53): 4,498
        // IWANTs instead of 196, 4.1 KB instead of 2.4 sent per document
        // per node, p99 8.8 s, and 1,447 deliveries left to catch-up sync.
        .flood_publish(true)
        // IDONTWANT (gossipsub v1.2, in 0.50.1) goes out for messages over
        // 1,000 bytes (the default, kept): summaries, frameworks and
        // rosters. An endorsement (about 720 bytes) is below it. Sent for
        // every size, duplicates fell from 1.37-1.42 to 0.21 per document
        // per node but bytes did not (2.8 KB per document per node: the
        // IDONTWANTs to each mesh peer and more IWANTs cost what the
        // copies saved), and duplicates are dropped before validation, so
        // they cost little CPU.
        //
        // gossip_lazy (6), history_length (5) and history_gossip (3) keep
        // their defaults: IWANTs were 39-201 per 9,900 deliveries.
        .build()
        .map_err(|e| NetError::Config(format!("gossipsub: {e}")))?;
    let mut gossipsub = gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gs_config)
        .map_err(|e| NetError::Config(format!("gossipsub: {e}")))?
        .with_metrics(registry, Default::default());
    gossipsub
        .with_peer_score(score_params(&config.alliances), thresholds())
        .map_err(|e| NetError::Config(format!("peer score: {e}")))?;
    let codec = request_response::cbor::codec::Codec::<SyncRequest, SyncResponse>::default()
        .set_request_size_maximum(64 * 1024)
        .set_response_size_maximum(config.response_bytes_max);
    let sync = request_response::Behaviour::with_codec(
        codec,
        [(
            StreamProtocol::new(PROTOCOL),
            request_response::ProtocolSupport::Full,
        )],
        request_response::Config::default().with_request_timeout(config.request_timeout),
    );
    Ok(Behaviour {
        blocked: Default::default(),
        identify: identify::Behaviour::new(
            identify::Config::new("/deltabench/1".into(), key.public())
                .with_agent_version(config.agent.clone()),
        ),
        // A silent peer is noticed within ping_interval + ping_timeout
        // (see `Task::check_pings` in the swarm task).
        ping: ping::Behaviour::new(
            ping::Config::new()
                .with_interval(config.ping_interval)
                .with_timeout(config.ping_timeout),
        ),
        gossipsub,
        sync,
    })
}
