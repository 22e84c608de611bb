//! The task that owns the swarm.

use crate::behaviour::{self, Behaviour, BehaviourEvent, GRAYLIST_THRESHOLD};
use crate::protocol::SyncResponse;
use crate::traffic::{self, Bytes, Counted};
use crate::{Command, Config, Event, Handle, InboundId, NetError, PeerInfo, Traffic};
use futures::StreamExt;
use libp2p::core::upgrade;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, PublishError, TopicHash};
use libp2p::request_response::{self, InboundRequestId, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, Transport, identify, identity, noise, ping, tcp, yamux};
use rand::seq::IteratorRandom;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Room for events the node has not taken yet. Beyond it gossip messages are
/// ignored rather than the swarm stalled.
const EVENT_QUEUE: usize = 4096;

/// How long a connection attempt (TCP and handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often scores are checked for peers to disconnect, and pings for
/// connections gone silent.
const SCORE_CHECK: Duration = Duration::from_millis(250);

/// Beyond `ping_interval + ping_timeout` without an answered ping, how long
/// a connection is given before it is closed (timer and scheduling jitter).
const PING_SLACK: Duration = Duration::from_secs(1);

pub(crate) fn public_key_of(peer: &PeerId) -> Option<[u8; 32]> {
    let mh: &libp2p::multihash::Multihash<64> = peer.as_ref();
    if mh.code() != 0 {
        return None;
    }
    let key = identity::PublicKey::try_decode_protobuf(mh.digest()).ok()?;
    Some(key.try_into_ed25519().ok()?.to_bytes())
}

/// A token bucket per peer for gossip messages, with strikes for the excess.
struct Bucket {
    tokens: f64,
    last: Instant,
    strikes: f64,
}

struct Task {
    swarm: Swarm<Behaviour>,
    config: Config,
    events: mpsc::Sender<Event>,
    topics: HashMap<TopicHash, String>,
    requests: HashMap<OutboundRequestId, oneshot::Sender<Result<SyncResponse, NetError>>>,
    inbound: HashMap<InboundRequestId, ResponseChannel<SyncResponse>>,
    /// Bootstrap addresses and the peer each one reached, while connected.
    bootstrap: HashMap<Multiaddr, Option<PeerId>>,
    dialing: HashMap<ConnectionId, Multiaddr>,
    addresses: HashMap<PeerId, HashMap<ConnectionId, Multiaddr>>,
    buckets: HashMap<PeerId, Bucket>,
    banned: HashMap<PeerId, Instant>,
    /// Per open connection: its peer and when a ping on it was last
    /// answered (or when it opened).
    pinged: HashMap<ConnectionId, (PeerId, Instant)>,
    bytes: Arc<Bytes>,
    /// Gossipsub's metrics (read by [`Handle::traffic`]).
    registry: prometheus_client::registry::Registry,
}

pub(crate) fn start(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(Handle, mpsc::Receiver<Event>, tokio::task::JoinHandle<()>), NetError> {
    let key = identity::Keypair::ed25519_from_bytes(config.secret)
        .map_err(|e| NetError::Config(format!("node key: {e}")))?;
    let peer_id = key.public().to_peer_id();
    let mut registry = prometheus_client::registry::Registry::default();
    let behaviour = behaviour::build(&key, &config, &mut registry)?;
    let bytes = Arc::new(Bytes::default());
    let counted = bytes.clone();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_other_transport(|key| {
            // A connection attempt, handshake included, gives up after
            // CONNECT_TIMEOUT: a dial into a cut network would otherwise wait
            // out the kernel's SYN retries (about two minutes), and no
            // redial starts while it is pending.
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
                tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
                    .map(move |stream, _| Counted::new(stream, counted.clone()))
                    .upgrade(upgrade::Version::V1)
                    .authenticate(noise::Config::new(key)?)
                    .multiplex(yamux::Config::default())
                    .timeout(CONNECT_TIMEOUT),
            )
        })
        .map_err(|e| NetError::Config(format!("transport: {e}")))?
        .with_behaviour(|_| behaviour)
        .map_err(|e| NetError::Config(format!("behaviour: {e}")))?
        // Members publish rarely: keep connections open between messages.
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(24 * 3600)))
        .build();
    let mut topics = HashMap::new();
    for a in &config.alliances {
        let topic = IdentTopic::new(crate::topic_name(a));
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&topic)
            .map_err(|e| NetError::Config(format!("subscribing to {a}: {e}")))?;
        topics.insert(topic.hash(), a.clone());
    }
    for l in &config.listen {
        swarm
            .listen_on(l.clone())
            .map_err(|e| NetError::Config(format!("cannot listen on {l}: {e}")))?;
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let (etx, erx) = mpsc::channel(EVENT_QUEUE);
    let bootstrap = config.bootstrap.iter().map(|a| (a.clone(), None)).collect();
    let task = Task {
        swarm,
        config,
        events: etx,
        topics,
        requests: HashMap::new(),
        inbound: HashMap::new(),
        bootstrap,
        dialing: HashMap::new(),
        addresses: HashMap::new(),
        buckets: HashMap::new(),
        banned: HashMap::new(),
        pinged: HashMap::new(),
        bytes,
        registry,
    };
    let join = tokio::spawn(task.run(rx, shutdown));
    Ok((Handle { tx, peer_id }, erx, join))
}

impl Task {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut redial = tokio::time::interval(self.config.redial_interval);
        let mut anti_entropy = tokio::time::interval(self.config.anti_entropy_interval);
        anti_entropy.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate: skip it, connections bring their own sync.
        anti_entropy.tick().await;
        let mut scores = tokio::time::interval(SCORE_CHECK);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                command = commands.recv() => match command {
                    Some(c) => self.command(c),
                    None => break,
                },
                event = self.swarm.select_next_some() => self.swarm_event(event),
                _ = redial.tick() => self.redial(),
                _ = anti_entropy.tick() => self.anti_entropy(),
                _ = scores.tick() => {
                    self.check_scores();
                    self.check_pings();
                }
            }
        }
        tracing::debug!("network task stopped");
    }

    fn emit(&self, event: Event) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(e)) => {
                tracing::warn!(event = ?std::mem::discriminant(&e), "event queue full: dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn command(&mut self, c: Command) {
        match c {
            Command::Publish {
                alliance,
                data,
                done,
            } => {
                let topic = IdentTopic::new(crate::topic_name(&alliance));
                let r = match self.swarm.behaviour_mut().gossipsub.publish(topic, data) {
                    Ok(_)
                    | Err(PublishError::NoPeersSubscribedToTopic)
                    | Err(PublishError::Duplicate)
                    | Err(PublishError::AllQueuesFull(_)) => Ok(()),
                    Err(e) => Err(NetError::Publish(e.to_string())),
                };
                let _ = done.send(r);
            }
            Command::Report {
                id,
                source,
                acceptance,
            } => {
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id, &source, acceptance);
            }
            Command::Request {
                peer,
                request,
                done,
            } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.requests.insert(id, done);
            }
            Command::Respond { id, response } => {
                if let Some(channel) = self.inbound.remove(&id.0) {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, response);
                }
            }
            Command::Peers { done } => {
                let _ = done.send(self.peers());
            }
            Command::Traffic { done } => {
                let _ = done.send(self.traffic());
            }
        }
    }

    fn traffic(&self) -> Traffic {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        let unfiltered = traffic::sum_of(&text, "topic_msg_recv_counts_unfiltered_total");
        let filtered = traffic::sum_of(&text, "topic_msg_recv_counts_total");
        Traffic {
            bytes_sent: self.bytes.sent.load(Ordering::Relaxed),
            bytes_received: self.bytes.received.load(Ordering::Relaxed),
            gossip_received: unfiltered,
            gossip_duplicates: unfiltered.saturating_sub(filtered),
            gossip_sent: traffic::sum_of(&text, "topic_msg_sent_counts_total"),
            iwant: traffic::sum_of(&text, "topic_iwant_msgs_total"),
            idontwant_received: traffic::sum_of(&text, "idontwant_msgs_ids_total"),
        }
    }

    /// Closes every connection whose last answered ping (or its opening) is
    /// older than `ping_interval + ping_timeout` (+ [`PING_SLACK`]).
    ///
    /// libp2p's ping handler (libp2p-ping 0.48, `Handler::poll`) does not
    /// report a connection's first failed ping, only the second in a row,
    /// and the second goes out an interval later on a new stream whose
    /// negotiation a cut leaves to the 10 s substream upgrade timeout.
    /// Waiting for its error event, a cut was noticed after two rounds
    /// (40.0 s with 10 s + 10 s, measured by the net crate's relay test;
    /// 39 s in the partition scenario). Measuring from the last answer
    /// notices it after one round, as the settings say (20.9 s).
    fn check_pings(&mut self) {
        let limit = self.config.ping_interval + self.config.ping_timeout + PING_SLACK;
        let now = Instant::now();
        let silent: Vec<(ConnectionId, PeerId, Duration)> = self
            .pinged
            .iter()
            .filter(|(_, (_, at))| now.duration_since(*at) > limit)
            .map(|(c, (p, at))| (*c, *p, now.duration_since(*at)))
            .collect();
        for (connection, peer, silent_for) in silent {
            tracing::info!(%peer, silent_ms = silent_for.as_millis() as u64,
                "no ping answered within the interval and timeout; closing the connection");
            self.pinged.remove(&connection);
            self.swarm.close_connection(connection);
        }
    }

    fn peers(&self) -> Vec<PeerInfo> {
        let gs = &self.swarm.behaviour().gossipsub;
        let subscribed: HashMap<&PeerId, Vec<&TopicHash>> = gs.all_peers().collect();
        let mut out: Vec<PeerInfo> = self
            .swarm
            .connected_peers()
            .map(|peer| PeerInfo {
                peer: *peer,
                public_key: public_key_of(peer),
                addresses: self
                    .addresses
                    .get(peer)
                    .map(|m| m.values().cloned().collect())
                    .unwrap_or_default(),
                score: gs.peer_score(peer),
                alliances: subscribed
                    .get(peer)
                    .map(|ts| {
                        ts.iter()
                            .filter_map(|t| self.topics.get(*t).cloned())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        out.sort_by_key(|p| p.peer.to_base58());
        out
    }

    fn redial(&mut self) {
        let connected: HashSet<PeerId> = self.swarm.connected_peers().copied().collect();
        let dialing: HashSet<&Multiaddr> = self.dialing.values().collect();
        let due: Vec<Multiaddr> = self
            .bootstrap
            .iter()
            .filter(|(addr, peer)| {
                !dialing.contains(addr) && !peer.is_some_and(|p| connected.contains(&p))
            })
            .map(|(addr, _)| addr.clone())
            .collect();
        for address in due {
            let opts = DialOpts::unknown_peer_id().address(address.clone()).build();
            let id = opts.connection_id();
            match self.swarm.dial(opts) {
                Ok(()) => {
                    self.dialing.insert(id, address);
                }
                Err(e) => tracing::debug!(%address, error = %e, "bootstrap dial failed"),
            }
        }
    }

    fn anti_entropy(&mut self) {
        let peer = self
            .swarm
            .connected_peers()
            .filter(|p| !self.banned.contains_key(p))
            .choose(&mut rand::rng())
            .copied();
        if let Some(peer) = peer {
            self.emit(Event::SyncDue { peer });
        }
    }

    fn check_scores(&mut self) {
        let now = Instant::now();
        // Strikes for exceeding the rate fade by about a third per minute.
        for (peer, b) in self.buckets.iter_mut() {
            if b.strikes > 0.0 {
                b.strikes *= 0.998;
                if b.strikes < 0.5 {
                    b.strikes = 0.0;
                }
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .set_application_score(peer, -b.strikes);
            }
        }
        let low: Vec<(PeerId, f64)> = self
            .swarm
            .connected_peers()
            .filter_map(|p| {
                let s = self.swarm.behaviour().gossipsub.peer_score(p)?;
                (s <= GRAYLIST_THRESHOLD).then_some((*p, s))
            })
            .collect();
        for (peer, score) in low {
            tracing::warn!(%peer, score, "peer disconnected and blocked for misbehaving");
            self.swarm.behaviour_mut().blocked.block_peer(peer);
            self.banned.insert(peer, now + self.config.ban_duration);
            self.emit(Event::Banned { peer, score });
        }
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in expired {
            self.banned.remove(&peer);
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            tracing::info!(%peer, "block lifted");
        }
    }

    /// Takes a token from the peer's bucket; false when it is empty.
    fn within_rate(&mut self, peer: PeerId) -> bool {
        let rate = f64::from(self.config.messages_per_sec_per_peer.max(1));
        let burst = rate * 10.0;
        let now = Instant::now();
        let b = self.buckets.entry(peer).or_insert(Bucket {
            tokens: burst,
            last: now,
            strikes: 0.0,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return true;
        }
        b.strikes += 1.0;
        let strikes = b.strikes;
        self.swarm
            .behaviour_mut()
            .gossipsub
            .set_application_score(&peer, -strikes);
        false
    }

    fn gossip_message(
        &mut self,
        source: PeerId,
        id: gossipsub::MessageId,
        message: gossipsub::Message,
    ) {
        let ignore = |task: &mut Task, id: &gossipsub::MessageId| {
            task.swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(id, &source, MessageAcceptance::Ignore);
        };
        let Some(alliance) = self.topics.get(&message.topic).cloned() else {
            ignore(self, &id);
            return;
        };
        if !self.within_rate(source) {
            ignore(self, &id);
            self.emit(Event::RateLimited { peer: source });
            return;
        }
        let event = Event::Message {
            id: id.clone(),
            source,
            alliance,
            data: message.data,
        };
        if !self.emit(event) {
            ignore(self, &id);
        }
    }

    fn swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "p2p listening");
                self.emit(Event::Listening(address));
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                let address = endpoint.get_remote_address().clone();
                self.pinged.insert(connection_id, (peer_id, Instant::now()));
                if let Some(dialled) = self.dialing.remove(&connection_id) {
                    self.bootstrap.insert(dialled, Some(peer_id));
                }
                self.addresses
                    .entry(peer_id)
                    .or_default()
                    .insert(connection_id, address.clone());
                if num_established.get() == 1 {
                    tracing::info!(peer = %peer_id, %address, "peer connected");
                    self.emit(Event::Connected {
                        peer: peer_id,
                        public_key: public_key_of(&peer_id),
                        address,
                    });
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                cause,
                ..
            } => {
                self.pinged.remove(&connection_id);
                if let Some(m) = self.addresses.get_mut(&peer_id) {
                    m.remove(&connection_id);
                }
                if num_established == 0 {
                    self.addresses.remove(&peer_id);
                    for p in self.bootstrap.values_mut() {
                        if *p == Some(peer_id) {
                            *p = None;
                        }
                    }
                    tracing::info!(peer = %peer_id, cause = ?cause.map(|c| c.to_string()), "peer disconnected");
                    self.emit(Event::Disconnected { peer: peer_id });
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                ..
            } => {
                if let Some(address) = self.dialing.remove(&connection_id) {
                    tracing::debug!(%address, %error, "bootstrap peer unreachable");
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.gossip_message(propagation_source, message_id, message),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Subscribed {
                peer_id,
                topic,
            })) => {
                if let Some(alliance) = self.topics.get(&topic).cloned() {
                    tracing::debug!(peer = %peer_id, %alliance, "peer subscribed");
                    self.emit(Event::Subscribed {
                        peer: peer_id,
                        alliance,
                    });
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.sync_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                tracing::debug!(peer = %peer_id, agent = %info.agent_version, "identified");
            }
            // A peer that stops answering pings is gone (a cut cable, a
            // frozen host): TCP alone would keep the connection for many
            // minutes, counting the peer as connected and sending syncs into
            // it. Closing it lets the bootstrap redial and the sync on
            // connect take over once the peer is reachable again. The
            // deadline is kept by `check_pings`; the handler's error (which
            // comes only after a second failure) closes it too.
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                connection,
                result: Ok(_),
                ..
            })) => {
                if let Some((_, at)) = self.pinged.get_mut(&connection) {
                    *at = Instant::now();
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(ping::Failure::Unsupported),
            })) => {
                // A peer without ping cannot be judged by it.
                tracing::debug!(%peer, "peer does not support ping");
                self.pinged.remove(&connection);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(e),
            })) => {
                tracing::info!(%peer, error = %e, "peer does not answer pings; closing the connection");
                self.pinged.remove(&connection);
                self.swarm.close_connection(connection);
            }
            _ => {}
        }
    }

    fn sync_event(&mut self, e: request_response::Event<crate::SyncRequest, SyncResponse>) {
        match e {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request_id,
                    request,
                    channel,
                } => {
                    self.inbound.insert(request_id, channel);
                    let queued = self.emit(Event::Request {
                        peer,
                        id: InboundId(request_id),
                        request,
                    });
                    if !queued {
                        if let Some(channel) = self.inbound.remove(&request_id) {
                            let _ = self.swarm.behaviour_mut().sync.send_response(
                                channel,
                                SyncResponse::Refused("busy: try again later".into()),
                            );
                        }
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(done) = self.requests.remove(&request_id) {
                        let _ = done.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(done) = self.requests.remove(&request_id) {
                    let _ = done.send(Err(NetError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            request_response::Event::InboundFailure { request_id, .. } => {
                self.inbound.remove(&request_id);
            }
            request_response::Event::ResponseSent { request_id, .. } => {
                self.inbound.remove(&request_id);
            }
        }
    }
}
