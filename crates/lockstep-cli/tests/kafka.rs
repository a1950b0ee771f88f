//! `lockstep serve --kafka-brokers …` against a real Kafka-compatible broker (feature `kafka`).
//! `scripts/kafka_test.sh` installs and starts one (tansu, in memory) and runs this with
//! `LOCKSTEP_KAFKA_BROKERS` set; without a broker the test fails rather than pass vacuously.
//! Every wait has a deadline.
#![cfg(feature = "kafka")]

mod common;
use common::*;
use lockstep_serve::kafka::rdkafka;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use std::time::{Duration, Instant};

fn brokers() -> String {
    std::env::var("LOCKSTEP_KAFKA_BROKERS")
        .expect("set LOCKSTEP_KAFKA_BROKERS (scripts/kafka_test.sh starts a broker and sets it)")
}

fn produce(brokers: &str, topic: &str, messages: &[String]) {
    let p: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    for m in messages {
        p.send(BaseRecord::<(), str>::to(topic).payload(m.as_str()))
            .map_err(|(e, _)| e)
            .unwrap();
    }
    p.flush(Duration::from_secs(30)).unwrap();
}

fn create_topic(brokers: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt
        .block_on(admin.create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        ))
        .unwrap();
    for t in r {
        t.unwrap();
    }
}

/// Wait (bounded) until `done(stats)` holds; returns those stats.
fn wait_until(
    s: &Server,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let st = stats(s);
        if done(&st) {
            return st;
        }
        assert!(Instant::now() < deadline, "{what}: {st}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn kafka_events_are_stored_once_committed_after_durable_and_a_bad_row_stops_the_consumer() {
    let brokers = brokers();
    let topic = format!(
        "lockstep-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    create_topic(&brokers, &topic);
    // 300 events: half carry an event_id; every tenth message holds two lines.
    let t0 = 1_790_000_000_000i64;
    let line = |i: usize| {
        let id = if i.is_multiple_of(2) {
            format!(",\"event_id\":\"k{i}\"")
        } else {
            String::new()
        };
        format!(
            "{{\"ts\":{},\"account\":\"u{}\",\"action\":\"like\",\"target\":\"v{}\"{id}}}",
            t0 + i as i64 * 1000,
            i % 17,
            i % 5
        )
    };
    let mut messages = Vec::new();
    let mut i = 0usize;
    while i < 300 {
        if i.is_multiple_of(10) {
            messages.push(format!("{}\n{}", line(i), line(i + 1)));
            i += 2;
        } else {
            messages.push(line(i));
            i += 1;
        }
    }
    produce(&brokers, &topic, &messages);

    let dir = tempfile::tempdir().unwrap();
    let t = tokens(dir.path());
    let data = dir.path().join("data");
    let args = |group: &str| {
        vec![
            "--kafka-brokers".to_string(),
            brokers.clone(),
            "--kafka-topic".into(),
            topic.clone(),
            "--kafka-group".into(),
            group.to_string(),
        ]
    };
    let start_with = |group: &str| {
        let a = args(group);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        start(&data, &t, &a)
    };
    let s = start_with("g1");
    wait_until(&s, "all 300 stored", |st| st["events_stored"] == 300);
    // The status moves once the batch's offsets are committed (after the durable write).
    let st = wait_until(&s, "offsets committed", |st| {
        st["kafka"]
            .as_str()
            .is_some_and(|k| k.contains("300 stored"))
    });
    assert!(
        st["kafka"].as_str().unwrap().contains("committed 0:"),
        "{st}"
    );

    // kill -9; the same group resumes from its committed offsets: nothing comes again.
    drop(s);
    let s = start_with("g1");
    produce(&brokers, &topic, &[line(300)]);
    let st = wait_until(&s, "the new event stored", |st| st["events_stored"] == 301);
    assert_eq!(st["duplicates"], 0, "{st}");
    drop(s);

    // A new group reads the topic from the start: every event comes again and is a
    // duplicate — named by event_id, or by topic, partition, offset and line.
    let s = start_with("g2");
    let st = wait_until(&s, "all re-delivered", |st| st["duplicates"] == 301);
    assert_eq!(st["events_stored"], 301, "{st}");

    // A bad row stops the consumer, names the message, and stores nothing of its batch.
    produce(
        &brokers,
        &topic,
        &[
            "{\"ts\":\"yesterday\",\"account\":\"u1\",\"action\":\"like\",\"target\":\"v1\"}"
                .into(),
            line(301),
        ],
    );
    let st = wait_until(&s, "the consumer stops", |st| {
        st["kafka"]
            .as_str()
            .is_some_and(|k| k.starts_with("stopped"))
    });
    let status = st["kafka"].as_str().unwrap();
    assert!(
        status.contains("partition 0 offset")
            && status.contains("\"ts\"")
            && status.contains("yesterday"),
        "{status}"
    );
    assert_eq!(stats(&s)["events_stored"], 301);
}
