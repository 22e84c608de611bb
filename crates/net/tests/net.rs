//! Two and three swarms on loopback: gossip with validation, sync requests,
//! re-dialling, and the ban of a peer whose messages are rejected.

use deltabench_net::{
    Config, Event, Handle, MessageAcceptance, Multiaddr, SyncRequest, SyncResponse, start,
};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

fn config(seed: u8, bootstrap: Vec<Multiaddr>) -> Config {
    let mut c = Config::new([seed; 32]);
    c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    c.bootstrap = bootstrap;
    c.alliances = vec!["yrd.tax".into()];
    c.redial_interval = Duration::from_millis(200);
    c
}

async fn node(seed: u8, bootstrap: Vec<Multiaddr>) -> (Handle, Receiver<Event>, Multiaddr) {
    let (h, mut ev, _) = start(config(seed, bootstrap), std::future::pending()).unwrap();
    let addr = next(&mut ev, |e| match e {
        Event::Listening(a) => Some(a),
        _ => None,
    })
    .await;
    (h, ev, addr)
}

/// Waits for the first event `f` picks, answering gossip it passes over
/// with Accept and sync requests with an empty answer.
async fn next<T>(ev: &mut Receiver<Event>, mut f: impl FnMut(Event) -> Option<T>) -> T {
    timeout(WAIT, async {
        loop {
            let e = ev.recv().await.expect("network stopped");
            if let Some(t) = f(e) {
                return t;
            }
        }
    })
    .await
    .expect("event did not come in time")
}

/// Publishes until a subscriber is there: the subscription exchange takes a
/// moment after connecting, and publishing the same bytes twice is a no-op.
async fn publish_until_received(
    from: &Handle,
    to: &mut Receiver<Event>,
    data: &[u8],
) -> (deltabench_net::MessageId, deltabench_net::PeerId, Vec<u8>) {
    let mut round = 0u32;
    loop {
        let mut bytes = data.to_vec();
        bytes.extend_from_slice(format!("#{round}").as_bytes());
        from.publish("yrd.tax", bytes).await.unwrap();
        let got = timeout(Duration::from_millis(300), async {
            loop {
                match to.recv().await {
                    Some(Event::Message {
                        id, source, data, ..
                    }) => return (id, source, data),
                    Some(_) => continue,
                    None => panic!("network stopped"),
                }
            }
        })
        .await;
        if let Ok(m) = got {
            return m;
        }
        round += 1;
        assert!(round < 60, "message never arrived");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_and_sync_between_two_nodes() {
    let (a, mut a_ev, a_addr) = node(1, vec![]).await;
    let (b, mut b_ev, _) = node(2, vec![a_addr]).await;
    let a_id = a.peer_id();
    let b_connected = next(&mut b_ev, |e| match e {
        Event::Connected {
            peer, public_key, ..
        } => Some((peer, public_key)),
        _ => None,
    })
    .await;
    assert_eq!(b_connected.0, a_id);
    assert_eq!(
        b_connected.1,
        Some(deltabench_net::peer_public_key(&a_id).unwrap())
    );
    assert_eq!(
        deltabench_net::peer_id_of(&b_connected.1.unwrap()),
        Some(a_id)
    );

    let (id, source, data) = publish_until_received(&a, &mut b_ev, b"hello").await;
    assert_eq!(source, a_id);
    assert!(data.starts_with(b"hello#"));
    b.report(id, source, MessageAcceptance::Accept);

    // B asks A for heads; A's side answers through its event stream.
    let ask = tokio::spawn({
        let b = b.clone();
        async move { b.request(a_id, SyncRequest::Heads).await }
    });
    let (peer, inbound) = next(&mut a_ev, |e| match e {
        Event::Request { peer, id, request } => {
            assert_eq!(request, SyncRequest::Heads);
            Some((peer, id))
        }
        _ => None,
    })
    .await;
    assert_eq!(peer, b.peer_id());
    a.respond(
        inbound,
        SyncResponse::Heads(vec![deltabench_net::Head {
            issuer: "320585".into(),
            seq: 7,
        }]),
    );
    let answer = timeout(WAIT, ask).await.unwrap().unwrap().unwrap();
    assert_eq!(
        answer,
        SyncResponse::Heads(vec![deltabench_net::Head {
            issuer: "320585".into(),
            seq: 7
        }])
    );
    let peers = a.peers().await.unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].peer, b.peer_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_whose_messages_are_rejected_is_banned() {
    let (a, mut a_ev, a_addr) = node(3, vec![]).await;
    let (bad, _bad_ev, _) = node(4, vec![a_addr]).await;
    let bad_id = bad.peer_id();
    let mut sent = 0u32;
    let banned = timeout(WAIT, async {
        loop {
            // Distinct bytes each time; A rejects whatever arrives.
            bad.publish("yrd.tax", format!("junk {sent}").into_bytes())
                .await
                .unwrap();
            sent += 1;
            tokio::select! {
                e = a_ev.recv() => match e.expect("network stopped") {
                    Event::Message { id, source, .. } => {
                        a.report(id, source, MessageAcceptance::Reject)
                    }
                    Event::Banned { peer, score } => return (peer, score),
                    _ => {}
                },
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    })
    .await
    .expect("the peer was not banned");
    assert_eq!(banned.0, bad_id);
    assert!(banned.1 <= -80.0, "score {}", banned.1);
    // Once disconnected it stays out: the block refuses its re-dials.
    next(&mut a_ev, |e| match e {
        Event::Disconnected { peer } if peer == bad_id => Some(()),
        _ => None,
    })
    .await;
    assert!(a.peers().await.unwrap().iter().all(|p| p.peer != bad_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_and_excess_rate_do_not_reach_the_node() {
    // A accepts messages up to 2 KiB and 1 per second (bursts of 10).
    let mut ca = config(5, vec![]);
    ca.message_bytes_max = 2048;
    ca.messages_per_sec_per_peer = 1;
    let (a, mut a_ev, _) = start(ca, std::future::pending()).unwrap();
    let a_addr = next(&mut a_ev, |e| match e {
        Event::Listening(addr) => Some(addr),
        _ => None,
    })
    .await;
    let a_addr_for_c = a_addr.clone();
    let (b, _b_ev, _) = node(6, vec![a_addr]).await;
    // A first message proves the path works.
    let (id, source, _) = publish_until_received(&b, &mut a_ev, b"small").await;
    a.report(id, source, MessageAcceptance::Accept);

    // A burst of 40 small ones: about the bucket's ten pass.
    for i in 0..40 {
        b.publish("yrd.tax", format!("burst {i}").into_bytes())
            .await
            .unwrap();
    }
    let (mut delivered, mut limited) = (0, 0);
    // Count until the 40 are accounted for (delivered or rate-limited).
    timeout(WAIT, async {
        while delivered + limited < 40 {
            match a_ev.recv().await.expect("network stopped") {
                Event::Message { id, source, .. } => {
                    delivered += 1;
                    a.report(id, source, MessageAcceptance::Accept);
                }
                Event::RateLimited { .. } => limited += 1,
                _ => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!("the burst was not accounted for: {delivered} delivered, {limited} limited")
    });
    assert!(delivered <= 12, "{delivered} of 40 passed a bucket of 10");
    assert!(limited >= 28, "{limited} rate-limited");

    // Too large for A, from a third peer: A's gossip layer drops it (and
    // the stream it came on), so it never becomes an event; B's next
    // message is the first one A sees.
    let (c, _c_ev, _) = node(7, vec![a_addr_for_c]).await;
    timeout(WAIT, async {
        loop {
            let peers = c.peers().await.unwrap();
            if peers
                .iter()
                .any(|p| p.alliances.iter().any(|x| x == "yrd.tax"))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("A's subscription never reached C");
    c.publish("yrd.tax", vec![b'x'; 8 * 1024]).await.unwrap();
    let (_, source, data) = publish_until_received(&b, &mut a_ev, b"after").await;
    assert!(
        data.starts_with(b"after"),
        "{} bytes arrived first",
        data.len()
    );
    assert_eq!(source, b.peer_id());
}
