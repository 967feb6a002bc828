//! NATS failures on a real 3-node cluster: the stream leader node killed, and a worker
//! whose NATS connection stalls (a partition, through a proxy the test freezes).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::proxy::Proxy;
use common::*;
use mastostream_fleet::hashing::owner;
use mastostream_fleet::names::worker_key;

const LIMIT: Duration = Duration::from_secs(120);

/// The stream leader's node name (`n1`..`n3`), retried while JetStream elects one.
fn stream_leader(root: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let addrs: Vec<String> = urls().split(',').map(str::to_owned).collect();
        let js = async_nats::jetstream::new(async_nats::connect(addrs).await.expect("connect"));
        let name = root.to_ascii_uppercase().replace('-', "_");
        for _ in 0..60 {
            if let Ok(mut s) = js.get_stream(&name).await
                && let Ok(info) = s.info().await
                && let Some(leader) = info.cluster.as_ref().and_then(|c| c.leader.clone())
            {
                return leader;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("stream {name} has no leader");
    })
}

#[test]
fn killing_the_stream_leader_loses_and_duplicates_nothing() {
    let _serial = serial();
    let nats = urls();
    let dir = cluster_dir();
    let root = root("leader");
    let servers = [instance(), instance(), instance()];
    let keys: Vec<String> = servers
        .iter()
        .map(|s| key_of(s, "public:local", None))
        .collect();
    for s in &servers {
        add(&root, &nats, &s.url(), "public:local", None);
    }
    let _workers = three_workers_live(&root, &nats, &keys, LIMIT);
    let mut publisher = Publisher::start(servers.to_vec(), Duration::from_millis(50));
    wait_until("some statuses stored", LIMIT, || {
        counts(&read_all(&root), &format!("{root}.")).len() >= 30
    });
    let leader = stream_leader(&root);
    cluster(&["kill", &dir, &leader]);
    // Publishing goes on through the election; then the node comes back.
    let before = publisher.ids(&servers[0].url()).len();
    wait_until("statuses published while the leader is down", LIMIT, || {
        publisher.ids(&servers[0].url()).len() >= before + 100
    });
    cluster(&["start", &dir]);
    std::thread::sleep(Duration::from_secs(2));
    publisher.stop();
    for (s, k) in servers.iter().zip(&keys) {
        assert_exactly_once(&root, &prefix(&root, k), &publisher.ids(&s.url()), LIMIT);
    }
}

#[test]
fn a_stalled_worker_stops_before_its_streams_move() {
    let _serial = serial();
    let nats = urls();
    let root = root("stall");
    let servers = [instance(), instance(), instance(), instance()];
    let keys: Vec<String> = servers
        .iter()
        .map(|s| key_of(s, "public:local", None))
        .collect();
    // A name for the stalled worker that rendezvous hashing gives at least one stream.
    let stalled = (0..)
        .map(|i| format!("s{i}"))
        .find(|n| {
            let live = [worker_key("w1"), worker_key("w2"), worker_key(n)];
            keys.iter()
                .any(|k| owner(k, &live) == Some(worker_key(n).as_str()))
        })
        .unwrap();
    for s in &servers {
        add(&root, &nats, &s.url(), "public:local", None);
    }
    let first: SocketAddr = nats
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("nats://")
        .parse()
        .unwrap();
    let proxy = Proxy::start(first);
    let via_proxy = format!("nats://{}", proxy.addr);
    let w1 = Worker::start(&root, "w1", &nats, &[]);
    let w2 = Worker::start(&root, "w2", &nats, &[]);
    let ws = Worker::start(
        &root,
        &stalled,
        &via_proxy,
        &["--ignore-discovered-servers"],
    );
    {
        let all = [&w1, &w2, &ws];
        for k in &keys {
            wait_until(&format!("{k} live"), LIMIT, || saw(&all, "live", k));
        }
        wait_until(&format!("{stalled} holding a stream"), LIMIT, || {
            !ws.holding().is_empty()
        });
    }
    let mut publisher = Publisher::start(servers.to_vec(), Duration::from_millis(50));
    wait_until("some statuses stored", LIMIT, || {
        counts(&read_all(&root), &format!("{root}.")).len() >= 30
    });
    let taken = ws.holding();
    proxy.freeze();
    for k in &taken {
        wait_until(&format!("{k} claimed by another worker"), LIMIT, || {
            !holders(&[&w1, &w2], k).is_empty()
        });
    }
    // The stalled worker noticed on its own clock, and stopped before anyone claimed.
    for k in &taken {
        let lost = ws
            .events()
            .iter()
            .find(|e| e["event"] == "lost" && e["key"] == k.as_str())
            .and_then(|e| e["ts_ms"].as_u64())
            .unwrap_or_else(|| panic!("{stalled} never reported losing {k}: {:?}", ws.events()));
        let claimed = [&w1, &w2]
            .iter()
            .flat_map(|w| w.events())
            .filter(|e| e["event"] == "claimed" && e["key"] == k.as_str())
            .filter_map(|e| e["ts_ms"].as_u64())
            .max()
            .unwrap();
        assert!(
            lost < claimed,
            "{k}: {stalled} stopped at {lost}, claimed elsewhere at {claimed}"
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    proxy.thaw();
    std::thread::sleep(Duration::from_secs(3));
    publisher.stop();
    let mut stored = Vec::new();
    for (s, k) in servers.iter().zip(&keys) {
        stored = assert_exactly_once(&root, &prefix(&root, k), &publisher.ids(&s.url()), LIMIT);
    }
    // In stream order, once a newer lease published on a key, no older lease did.
    for k in &keys {
        let mut newest = 0;
        for m in stored
            .iter()
            .filter(|m| m.subject.starts_with(&prefix(&root, k)))
        {
            assert!(
                m.lease >= newest,
                "{k}: lease {} published after lease {newest} (seq {})",
                m.lease,
                m.seq
            );
            newest = m.lease;
        }
    }
}
