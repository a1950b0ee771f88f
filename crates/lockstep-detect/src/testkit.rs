//! Helpers for the detectors' hand-built test cases.

use lockstep_core::{EventStoreBuilder, RawEvent};

pub const H: i64 = 3_600_000;

/// Append one event (epoch-ms `ts`).
pub fn push(b: &mut EventStoreBuilder, ts: i64, acc: &str, action: &str, target: &str) {
    push_text(b, ts, acc, action, target, None);
}

/// Append one `like` with a rating (review stars, trust score).
pub fn push_rated(b: &mut EventStoreBuilder, ts: i64, acc: &str, item: &str, rating: &str) {
    let ts = ts.to_string();
    b.push_raw(&RawEvent {
        ts: &ts,
        account: acc,
        action: "like",
        target: item,
        rating: Some(rating),
        ..Default::default()
    })
    .unwrap();
}

/// Append one event with an optional comment / DM text.
pub fn push_text(
    b: &mut EventStoreBuilder,
    ts: i64,
    acc: &str,
    action: &str,
    target: &str,
    text: Option<&str>,
) {
    let ts = ts.to_string();
    b.push_raw(&RawEvent {
        ts: &ts,
        account: acc,
        action,
        target,
        text,
        ..Default::default()
    })
    .unwrap();
}

/// 300 organic accounts `org0…`, each with `views` views then `likes` likes of 60 videos `v0…`
/// (60 creators) at pseudo-random times over one day (xorshift from `seed`).
pub fn organic_background(b: &mut EventStoreBuilder, views: usize, likes: usize, seed: u64) {
    let mut x = seed | 1;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m) as i64
    };
    for u in 0..300i64 {
        for k in 0..views + likes {
            let v = next(60);
            let ts = next(24 * H as u64);
            let action = if k < views { "view" } else { "like" };
            push(b, ts, &format!("org{u}"), action, &format!("v{v}"));
        }
    }
}

/// The findings are one group of exactly `n` accounts, all named `prefix…`; returns it.
pub fn only_group<'f>(
    findings: &'f [crate::Finding],
    store: &lockstep_core::EventStore,
    prefix: &str,
    n: usize,
) -> &'f crate::Finding {
    assert_eq!(findings.len(), 1, "{findings:?}");
    let names = findings[0].member_names(store);
    assert_eq!(names.len(), n, "{names:?}");
    assert!(names.iter().all(|m| m.starts_with(prefix)), "{names:?}");
    &findings[0]
}
