//! `--kafka-brokers … --kafka-topic …` (cargo feature `kafka`): consume events from a Kafka
//! topic into the store. Each message's value is one or more NDJSON lines in the file
//! contract's keys (plus `event_id`). Messages are taken in batches and stored exactly as
//! `POST /v1/events` stores them (validated, deduplicated, durable); only then are the batch's
//! offsets committed to the consumer group — synchronously, so a committed offset never runs
//! ahead of what is on disk. A crash between the durable write and the commit re-delivers the
//! batch: rows without an `event_id` are therefore named `kafka:TOPIC:PARTITION:OFFSET[:LINE]`,
//! so the re-delivered rows are duplicates, not stored twice.
//!
//! Nothing is skipped silently: a bad row stops the consumer without committing its batch, and
//! `GET /v1/stats` (`kafka`) names the partition, offset, column and value; after fixing the
//! producer, a restart re-reads from the last committed offset. (Osprey's coordinator drops
//! nacked messages; users asked for exactly this instead.)
//!
//! Uses rdkafka (librdkafka, built from C when the feature is on).

/// The Kafka client lockstep is built with (for tools and tests that produce to its topics).
pub use rdkafka;

use crate::ingest::BodyFormat;
use crate::{maybe_start_pass, store_batch, App, Rejected};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where to consume from.
#[derive(Debug, Clone)]
pub struct KafkaSource {
    /// `bootstrap.servers`: `HOST:PORT[,HOST:PORT…]`.
    pub brokers: String,
    /// The topic.
    pub topic: String,
    /// The consumer group (offsets are committed for it).
    pub group: String,
}

/// A batch closes at this many messages …
const MAX_MESSAGES: usize = 10_000;
/// … or this many bytes …
const MAX_BYTES: usize = 8 << 20;
/// … or this long after its first message.
const MAX_WAIT: Duration = Duration::from_millis(250);

fn set_status(app: &App, status: String) {
    *crate::lock(&app.kafka_status) = status;
}

/// One message's place in the batch body.
struct Placed {
    /// Byte in the body where the message's value starts.
    start: u64,
    partition: i32,
    offset: i64,
}

/// Consume until the process ends (or a bad row stops it).
pub(crate) fn consume(app: &Arc<App>, src: &KafkaSource, rt: &tokio::runtime::Handle) {
    let _guard = rt.enter();
    let consumer: BaseConsumer = match ClientConfig::new()
        .set("bootstrap.servers", &src.brokers)
        .set("group.id", &src.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .create()
    {
        Ok(c) => c,
        Err(e) => {
            set_status(app, format!("stopped: kafka {}: {e}", src.brokers));
            return;
        }
    };
    if let Err(e) = consumer.subscribe(&[src.topic.as_str()]) {
        set_status(app, format!("stopped: kafka topic {}: {e}", src.topic));
        return;
    }
    set_status(
        app,
        format!(
            "consuming {} from {} as group {}",
            src.topic, src.brokers, src.group
        ),
    );
    let mut body: Vec<u8> = Vec::new();
    let mut placed: Vec<Placed> = Vec::new();
    let mut first_at: Option<Instant> = None;
    let (mut stored, mut duplicates) = (0u64, 0u64);
    loop {
        let full = placed.len() >= MAX_MESSAGES
            || body.len() >= MAX_BYTES
            || first_at.is_some_and(|t| t.elapsed() >= MAX_WAIT);
        if !full {
            match consumer.poll(Duration::from_millis(50)) {
                Some(Ok(m)) => {
                    first_at.get_or_insert_with(Instant::now);
                    placed.push(Placed {
                        start: body.len() as u64,
                        partition: m.partition(),
                        offset: m.offset(),
                    });
                    body.extend_from_slice(m.payload().unwrap_or_default());
                    if body.last().is_some_and(|&b| b != b'\n') {
                        body.push(b'\n');
                    }
                    continue;
                }
                Some(Err(e)) => {
                    // Broker or network trouble: librdkafka retries; say so meanwhile.
                    set_status(app, format!("retrying: kafka {}: {e}", src.topic));
                    continue;
                }
                None if placed.is_empty() => continue,
                None => {} // idle: store what is waiting
            }
        }
        // The message a row came from, by its byte in the body.
        let message_of = |at: u64| {
            let i = placed.partition_point(|p| p.start <= at).saturating_sub(1);
            &placed[i]
        };
        let id_of_row = |at: u64| {
            let m = message_of(at);
            // Several rows in one message are told apart by their byte within it.
            match at - m.start {
                0 => format!("kafka:{}:{}:{}", src.topic, m.partition, m.offset),
                k => format!("kafka:{}:{}:{}:{k}", src.topic, m.partition, m.offset),
            }
        };
        match store_batch(app, BodyFormat::Ndjson, &body, Some(&id_of_row)) {
            Ok(a) => {
                // Durable: now commit the next offset of every partition in the batch.
                let mut next: BTreeMap<i32, i64> = BTreeMap::new();
                for p in &placed {
                    let e = next.entry(p.partition).or_insert(p.offset + 1);
                    *e = (*e).max(p.offset + 1);
                }
                let mut tpl = TopicPartitionList::new();
                for (&partition, &offset) in &next {
                    let _ = tpl.add_partition_offset(&src.topic, partition, Offset::Offset(offset));
                }
                // A failed commit is retried by the next batch's (offsets only grow); if the
                // process dies first, the batch comes again and is all duplicates.
                let committed = consumer.commit(&tpl, CommitMode::Sync);
                stored += a.accepted;
                duplicates += a.duplicates;
                set_status(
                    app,
                    format!(
                        "consuming {}: {stored} stored, {duplicates} duplicates; committed {}{}",
                        src.topic,
                        next.iter()
                            .map(|(p, o)| format!("{p}:{o}"))
                            .collect::<Vec<_>>()
                            .join(","),
                        match committed {
                            Ok(()) => String::new(),
                            Err(e) => format!(" (commit failed, retried with the next batch: {e})"),
                        }
                    ),
                );
                body.clear();
                placed.clear();
                first_at = None;
                maybe_start_pass(app);
            }
            Err(Rejected::Bad(b)) => {
                // Line numbers are the batch's; name the message instead.
                let line_start = body
                    .split_inclusive(|&c| c == b'\n')
                    .take(b.line.saturating_sub(1) as usize)
                    .map(|l| l.len() as u64)
                    .sum::<u64>();
                let m = message_of(line_start);
                set_status(
                    app,
                    format!(
                        "stopped: kafka {} partition {} offset {}: column {:?}: {} (value {:?}); nothing of this batch was stored or committed",
                        src.topic, m.partition, m.offset, b.column, b.reason, b.value
                    ),
                );
                return;
            }
            Err(Rejected::Store(e)) => {
                set_status(
                    app,
                    format!("retrying: kafka {}: not stored: {e}", src.topic),
                );
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}
