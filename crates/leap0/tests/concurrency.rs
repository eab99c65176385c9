//! Many calls at once on one client: every one settles, and the emulator agrees on the count.

mod support;

use std::time::Duration;

use leap0::ErrorKind;
use leap0_emulator::Config;
use support::{opts, start, start_with, timed, CREATE, GET, LIST};
use tokio::task::JoinSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_reads_at_once_all_settle() {
    let harness = start().await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for _ in 0..10 {
            ids.push(harness.sandbox().await);
        }
        ids
    };
    let mut calls = JoinSet::new();
    for n in 0..100 {
        let client = harness.client.clone();
        let id = ids[n % ids.len()].clone();
        calls.spawn(async move {
            if n % 2 == 0 {
                client
                    .sandboxes()
                    .get(&id, &opts())
                    .await
                    .map(|s| s.id == id)
            } else {
                let page = client.sandboxes().list(&Default::default(), &opts()).await;
                page.map(|p| p.total_items == 10)
            }
        });
    }
    let (results, elapsed) = timed(calls.join_all()).await;
    assert_eq!(results.len(), 100);
    for result in results {
        assert!(result.expect("settled ok"), "the answer matches the call");
    }
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    assert_eq!(harness.stats(GET).await.received, 50);
    assert_eq!(harness.stats(LIST).await.received, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_creates_at_once_respect_the_limit_exactly() {
    let config = Config {
        max_sandboxes: 40,
        ..support::config()
    };
    let harness = start_with(config, |builder| builder).await;
    let mut calls = JoinSet::new();
    for _ in 0..100 {
        let client = harness.client.clone();
        calls.spawn(async move {
            client
                .sandboxes()
                .create(&Default::default(), &opts())
                .await
        });
    }
    let results = calls.join_all().await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| r.as_ref().err().map(|e| e.kind()) == Some(ErrorKind::Conflict))
        .count();
    assert_eq!((created, conflicts), (40, 60));
    assert_eq!(harness.state().await, (40, 0));
    assert_eq!(harness.stats(CREATE).await.received, 100, "none repeated");
}
