//! Three worker processes, fake instances, a real 3-node NATS cluster: every status stored
//! exactly once through a `kill -9` of a worker, streams registered and removed at run
//! time, and an unreachable instance that slows nobody.

mod common;

use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn kill_9_moves_streams_and_nothing_is_lost_or_duplicated() {
    let _serial = serial();
    let nats = urls();
    let root = root("kill");
    let (a, b, c) = (instance(), instance(), instance());
    add(&root, &nats, &a.url(), "public:local", None);
    add(&root, &nats, &a.url(), "hashtag", Some("rust"));
    add(&root, &nats, &b.url(), "public:local", None);
    add(&root, &nats, &c.url(), "public:local", None);
    // An instance nobody answers at: its stream retries with backoff on its own.
    add(&root, &nats, "http://127.0.0.1:9", "public", None);
    let keys = [
        key_of(&a, "public:local", None),
        key_of(&a, "hashtag", Some("rust")),
        key_of(&b, "public:local", None),
        key_of(&c, "public:local", None),
    ];
    let mut workers = three_workers_live(&root, &nats, &keys, LIMIT);
    let mut publisher = Publisher::start(
        vec![a.clone(), b.clone(), c.clone()],
        Duration::from_millis(50),
    );
    wait_until("some statuses stored", LIMIT, || {
        counts(&read_all(&root), &format!("{root}.")).len() >= 30
    });

    // kill -9 the worker holding the most live streams.
    let victim = (0..3)
        .max_by_key(|i| {
            workers[*i]
                .holding()
                .iter()
                .filter(|k| keys.contains(k))
                .count()
        })
        .unwrap();
    let moved: Vec<String> = workers[victim]
        .holding()
        .into_iter()
        .filter(|k| keys.contains(k))
        .collect();
    assert!(!moved.is_empty(), "the victim holds no stream");
    workers[victim].kill9();
    let victim_name = workers[victim].name.clone();
    {
        let others: Vec<&Worker> = workers.iter().filter(|w| w.name != victim_name).collect();
        for k in &moved {
            wait_until(&format!("{k} claimed by a survivor"), LIMIT, || {
                !holders(&others, k).is_empty()
            });
            wait_until(&format!("{k} live again"), LIMIT, || {
                saw(&others, "live", k)
            });
        }
    }

    // A stream registered at run time.
    add(&root, &nats, &c.url(), "hashtag", Some("rust"));
    let late = key_of(&c, "hashtag", Some("rust"));
    {
        let all: Vec<&Worker> = workers.iter().collect();
        wait_until(&format!("{late} live"), LIMIT, || saw(&all, "live", &late));
    }
    let late_from = publisher.ids(&c.url()).len();
    std::thread::sleep(Duration::from_secs(2));

    // A stream removed at run time: nothing published on it afterwards is stored.
    cli(
        &root,
        &[
            "remove",
            "--nats",
            &nats,
            "--instance",
            &a.url(),
            "--stream",
            "hashtag",
            "--tag",
            "rust",
        ],
    );
    let removed_at = publisher.ids(&a.url()).len();
    {
        let all: Vec<&Worker> = workers.iter().filter(|w| w.name != victim_name).collect();
        // Its owner stops by the registry watch (`removed`) or by the closed fence (`lost`).
        wait_until("the removed stream stopped", LIMIT, || {
            holders(&all, &keys[1]).is_empty()
        });
    }
    std::thread::sleep(Duration::from_secs(2));
    publisher.stop();

    let ids_a = publisher.ids(&a.url());
    let ids_b = publisher.ids(&b.url());
    let ids_c = publisher.ids(&c.url());
    assert_exactly_once(&root, &prefix(&root, &keys[0]), &ids_a, LIMIT);
    assert_exactly_once(&root, &prefix(&root, &keys[2]), &ids_b, LIMIT);
    let stored = assert_exactly_once(&root, &prefix(&root, &keys[3]), &ids_c, LIMIT);

    // The late stream: everything from its first live moment on, once.
    let late_counts = counts(&stored, &prefix(&root, &late));
    for id in &ids_c[late_from..] {
        assert_eq!(late_counts.get(id), Some(&1), "{late}: status {id}");
    }
    // The removed stream: everything until the removal, nothing after it.
    let removed_counts = counts(&stored, &prefix(&root, &keys[1]));
    assert!(
        removed_counts.values().all(|n| *n == 1),
        "{}: duplicates",
        keys[1]
    );
    for id in &ids_a[removed_at..] {
        assert!(
            !removed_counts.contains_key(id),
            "{}: status {id} stored after the removal",
            keys[1]
        );
    }
    // What the dead worker's streams missed came back over REST, marked recovered.
    for k in &moved {
        let recovered = stored
            .iter()
            .filter(|m| m.subject.starts_with(&prefix(&root, k)) && m.recovered())
            .count();
        assert!(
            recovered > 0,
            "{k}: no status was recovered after the failover"
        );
    }
    // status --json lists the registered streams, owned. A stream that kept its owner
    // counts every event it stored once the owner's next lease renewal or cursor write
    // records it; a moved stream's count is a lower bound (what the killed worker stored
    // after its last record is counted by nobody), so it is not waited for.
    let kept: Vec<(String, u64)> = [(&a, &keys[0]), (&b, &keys[2]), (&c, &keys[3])]
        .into_iter()
        .filter(|(_, k)| !moved.contains(*k))
        .map(|(server, k)| {
            (
                server.url(),
                counts(&stored, &prefix(&root, k)).len() as u64,
            )
        })
        .collect();
    let events_of = |status: &str, url: &str| -> u64 {
        status
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| {
                r["stream"] == "public:local"
                    && r["instance"].as_str().map(|i| i.trim_end_matches('/'))
                        == Some(url.trim_end_matches('/'))
            })
            .and_then(|r| r["events"].as_u64())
            .unwrap_or(0)
    };
    let mut status = String::new();
    wait_until(
        "status to count every event of the streams that kept their owner",
        LIMIT,
        || {
            status = cli(&root, &["status", "--nats", &nats, "--json"]);
            kept.iter().all(|(url, n)| events_of(&status, url) >= *n)
        },
    );
    let rows: Vec<serde_json::Value> = status
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5, "{status}");
    assert!(rows.iter().all(|r| r["owner"].is_string()), "{status}");
}
