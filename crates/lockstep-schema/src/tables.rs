//! Rows of the CSV outputs. Field order is column order: serialising a row with a header-writing
//! `csv::Writer` prints the contract's header. Reading is by header name, so extra columns are
//! ignored and columns may come in any order.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A number printed with `D` decimal places (`0.9731` for `Fixed::<4>(0.97312)`), read back as
/// any number. Printing avoids the float formatter's exact path and any allocation: at 10M events
/// the writers spent half their time formatting floats.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Fixed<const D: u32>(pub f64);

/// A stack buffer for one formatted number.
struct Cell {
    buf: [u8; 40],
    len: usize,
}

impl fmt::Write for Cell {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Append `x` with `decimals` places, like `format!("{x:.N}")` for finite non-negative values
/// below 10¹² (rounded half away from zero on the scaled value), else exactly that format.
pub fn push_fixed(out: &mut impl fmt::Write, x: f64, decimals: u32) -> fmt::Result {
    let scale = 10u64.pow(decimals);
    if !x.is_finite() || !(0.0..1e12).contains(&x) {
        return write!(out, "{x:.*}", decimals as usize);
    }
    let r = (x * scale as f64).round() as u64;
    write!(out, "{}", r / scale)?;
    if decimals > 0 {
        write!(out, ".{:0width$}", r % scale, width = decimals as usize)?;
    }
    Ok(())
}

impl<const D: u32> Serialize for Fixed<D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut cell = Cell {
            buf: [0; 40],
            len: 0,
        };
        if push_fixed(&mut cell, self.0, D).is_err() {
            // Only a huge or odd value overflows the stack cell; print it the slow way.
            return s.collect_str(&format_args!("{:.*}", D as usize, self.0));
        }
        // The cell holds only what `write!` put there: ASCII digits, sign, point, "inf"/"NaN".
        s.serialize_str(std::str::from_utf8(&cell.buf[..cell.len]).unwrap_or("NaN"))
    }
}

impl<'de, const D: u32> Deserialize<'de> for Fixed<D> {
    fn deserialize<De: Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        f64::deserialize(d).map(Fixed)
    }
}

/// A 0/1 column (`flagged`): written as `0`/`1`, read from `0`/`1`/`true`/`false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0 { "1" } else { "0" })
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<De: Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let s = Cow::<str>::deserialize(d)?;
        match s.trim() {
            "1" | "true" => Ok(Flag(true)),
            "0" | "false" => Ok(Flag(false)),
            other => Err(de::Error::custom(format_args!(
                "expected 0 or 1, found {other:?}"
            ))),
        }
    }
}

/// An empty cell as `None` (the `group` of an ungrouped account), otherwise the text.
fn empty_as_none<'de, 'a, De: Deserializer<'de>>(d: De) -> Result<Option<Cow<'a, str>>, De::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    Ok(s.filter(|s| !s.trim().is_empty()).map(Cow::Owned))
}

/// One row of `accounts.csv`, in its column order. `account`, `score` and `flagged` are the
/// contract every scores file must have (`lockstep eval` reads other tools' files too); lockstep
/// always writes the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow<'a> {
    /// The account id as in the input.
    pub account: Cow<'a, str>,
    /// Calibrated probability that the account is fake, in [0, 1]. Six decimals: scores below
    /// the flag keep their order (four tied hundreds of accounts).
    pub score: Fixed<6>,
    /// 1 when the account is flagged.
    pub flagged: Flag,
    /// The account's group (case) id; empty when it has none.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub group: Option<Cow<'a, str>>,
    /// `detector@version:contribution` joined by `;`, strongest first.
    #[serde(default)]
    pub reasons: Option<Cow<'a, str>>,
    /// Events of the account in the input.
    #[serde(default)]
    pub events: Option<u64>,
    /// Fused evidence before calibration.
    #[serde(default)]
    pub evidence: Option<Fixed<6>>,
}

/// One row of `videos.csv`, in its column order: raw and clean counts (clean = without flagged
/// accounts), completion rates (empty when the log has no watch time), inflation, flagged shares,
/// score-weighted counts and followers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoRow<'a> {
    /// The target id (a video, or an account for follows and DMs).
    pub target: Cow<'a, str>,
    /// All views.
    pub views: u64,
    /// Views by unflagged accounts.
    pub clean_views: u64,
    /// All likes.
    pub likes: u64,
    /// Likes by unflagged accounts.
    pub clean_likes: u64,
    /// All comments.
    pub comments: u64,
    /// Comments by unflagged accounts.
    pub clean_comments: u64,
    /// All shares.
    pub shares: u64,
    /// Shares by unflagged accounts.
    pub clean_shares: u64,
    /// Mean of `watch_ms / video_ms` (capped at 1) over views that carry both.
    pub completion_rate: Option<Fixed<4>>,
    /// The same over unflagged accounts' views.
    pub clean_completion_rate: Option<Fixed<4>>,
    /// Raw engagement over clean engagement (1 when nothing was removed).
    pub inflation: Fixed<4>,
    /// Share of views from flagged accounts.
    pub flagged_view_share: Fixed<4>,
    /// Share of likes from flagged accounts.
    pub flagged_like_share: Fixed<4>,
    /// Views weighted by 1 − score (soft removal).
    pub weighted_views: Fixed<2>,
    /// Likes weighted by 1 − score.
    pub weighted_likes: Fixed<2>,
    /// Comments weighted by 1 − score.
    pub weighted_comments: Fixed<2>,
    /// Shares weighted by 1 − score.
    pub weighted_shares: Fixed<2>,
    /// Follows of the target.
    pub followers: u64,
    /// Follows of the target by unflagged accounts.
    pub clean_followers: u64,
}

/// `row` as a JSON object whose `fixed` fields (printed with fixed decimals, or 0/1, in CSV)
/// are JSON numbers.
fn json_with_numbers(row: &impl Serialize, fixed: &[&str]) -> serde_json::Value {
    let mut v = serde_json::to_value(row).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = v.as_object_mut() {
        for key in fixed {
            if let Some(cell) = obj.get_mut(*key) {
                if let Some(x) = cell.as_str().and_then(|s| s.parse::<f64>().ok()) {
                    *cell = if *key == "flagged" {
                        serde_json::json!(x as i64)
                    } else {
                        serde_json::json!(x)
                    };
                }
            }
        }
    }
    v
}

impl AccountRow<'_> {
    /// The [`Fixed`] and [`Flag`] fields: text in CSV, numbers in [`AccountRow::to_json`].
    pub const NUMBERS_AS_TEXT: [&'static str; 3] = ["score", "flagged", "evidence"];

    /// The row as a JSON object, numbers as JSON numbers (`flagged` 0/1).
    pub fn to_json(&self) -> serde_json::Value {
        json_with_numbers(self, &Self::NUMBERS_AS_TEXT)
    }

    /// The row with every string owned (to keep it past the data it borrowed).
    pub fn into_owned(self) -> AccountRow<'static> {
        AccountRow {
            account: Cow::Owned(self.account.into_owned()),
            score: self.score,
            flagged: self.flagged,
            group: self.group.map(|g| Cow::Owned(g.into_owned())),
            reasons: self.reasons.map(|r| Cow::Owned(r.into_owned())),
            events: self.events,
            evidence: self.evidence,
        }
    }
}

impl VideoRow<'_> {
    /// The [`Fixed`] fields: text in CSV, numbers in [`VideoRow::to_json`].
    pub const NUMBERS_AS_TEXT: [&'static str; 9] = [
        "completion_rate",
        "clean_completion_rate",
        "inflation",
        "flagged_view_share",
        "flagged_like_share",
        "weighted_views",
        "weighted_likes",
        "weighted_comments",
        "weighted_shares",
    ];

    /// The row as a JSON object, numbers as JSON numbers (an absent completion rate is null).
    pub fn to_json(&self) -> serde_json::Value {
        json_with_numbers(self, &Self::NUMBERS_AS_TEXT)
    }

    /// The row with its target owned.
    pub fn into_owned(self) -> VideoRow<'static> {
        VideoRow {
            target: Cow::Owned(self.target.into_owned()),
            views: self.views,
            clean_views: self.clean_views,
            likes: self.likes,
            clean_likes: self.clean_likes,
            comments: self.comments,
            clean_comments: self.clean_comments,
            shares: self.shares,
            clean_shares: self.clean_shares,
            completion_rate: self.completion_rate,
            clean_completion_rate: self.clean_completion_rate,
            inflation: self.inflation,
            flagged_view_share: self.flagged_view_share,
            flagged_like_share: self.flagged_like_share,
            weighted_views: self.weighted_views,
            weighted_likes: self.weighted_likes,
            weighted_comments: self.weighted_comments,
            weighted_shares: self.weighted_shares,
            followers: self.followers,
            clean_followers: self.clean_followers,
        }
    }
}

/// Columns of `videos.csv` (and `videos.parquet`), in order: the field names of [`VideoRow`].
pub const VIDEO_COLUMNS: [&str; 20] = [
    "target",
    "views",
    "clean_views",
    "likes",
    "clean_likes",
    "comments",
    "clean_comments",
    "shares",
    "clean_shares",
    "completion_rate",
    "clean_completion_rate",
    "inflation",
    "flagged_view_share",
    "flagged_like_share",
    "weighted_views",
    "weighted_likes",
    "weighted_comments",
    "weighted_shares",
    "followers",
    "clean_followers",
];

/// Columns of `accounts.csv` (and `accounts.parquet`), in order: the field names of [`AccountRow`].
pub const ACCOUNT_COLUMNS: [&str; 7] = [
    "account", "score", "flagged", "group", "reasons", "events", "evidence",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of<T: Serialize>(row: &T) -> String {
        let mut w = csv::Writer::from_writer(vec![]);
        w.serialize(row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    fn video(target: &str) -> VideoRow<'_> {
        VideoRow {
            target: target.into(),
            views: 10,
            clean_views: 7,
            likes: 4,
            clean_likes: 1,
            comments: 2,
            clean_comments: 2,
            shares: 0,
            clean_shares: 0,
            completion_rate: Some(Fixed(0.51234)),
            clean_completion_rate: None,
            inflation: Fixed(1.5),
            flagged_view_share: Fixed(0.3),
            flagged_like_share: Fixed(0.75),
            weighted_views: Fixed(7.126),
            weighted_likes: Fixed(1.0),
            weighted_comments: Fixed(2.0),
            weighted_shares: Fixed(0.0),
            followers: 3,
            clean_followers: 0,
        }
    }

    #[test]
    fn headers_are_the_column_constants() {
        assert_eq!(header_of(&video("v")), VIDEO_COLUMNS.join(","));
        let a = AccountRow {
            account: "a".into(),
            score: Fixed(0.5),
            flagged: Flag(false),
            group: None,
            reasons: Some("".into()),
            events: Some(3),
            evidence: Some(Fixed(0.1)),
        };
        assert_eq!(header_of(&a), ACCOUNT_COLUMNS.join(","));
    }

    #[test]
    fn rows_round_trip_at_printed_precision() {
        let mut w = csv::Writer::from_writer(vec![]);
        w.serialize(video("v1")).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "v1,10,7,4,1,2,2,0,0,0.5123,,1.5000,0.3000,0.7500,7.13,1.00,2.00,0.00,3,0"
        );
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let back: VideoRow = r.deserialize().next().unwrap().unwrap();
        assert_eq!(back.completion_rate, Some(Fixed(0.5123)));
        assert_eq!(back.clean_completion_rate, None);
        assert_eq!(back.weighted_views, Fixed(7.13));
        assert_eq!(back.target, "v1");
    }

    #[test]
    fn a_minimal_scores_file_reads_and_bad_flags_are_named() {
        let text = "flagged,account,score\n1,x,0.25\ntrue,y,1\n";
        let rows: Vec<AccountRow> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows[0].account, "x");
        assert!(rows[1].flagged.0);
        assert_eq!(rows[0].group, None);
        assert_eq!(rows[0].evidence, None);
        let bad = "account,score,flagged\nx,0.2,maybe\n";
        let err = csv::Reader::from_reader(bad.as_bytes())
            .deserialize::<AccountRow>()
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected 0 or 1"), "{err}");
        let missing = "account,flagged\nx,1\n";
        let err = csv::Reader::from_reader(missing.as_bytes())
            .deserialize::<AccountRow>()
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("score"), "{err}");
    }

    #[test]
    fn json_rows_carry_every_number_as_a_number() {
        // Only the id-like fields may stay strings: a new Fixed field missing from
        // NUMBERS_AS_TEXT would fail here.
        let v = video("v").to_json();
        let strings: Vec<&String> = v
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, x)| x.is_string())
            .map(|(k, _)| k)
            .collect();
        assert_eq!(strings, vec!["target"]);
        assert_eq!(v["completion_rate"], serde_json::json!(0.5123));
        assert!(v["clean_completion_rate"].is_null());
        let a = AccountRow {
            account: "a".into(),
            score: Fixed(0.25),
            flagged: Flag(true),
            group: Some("G1".into()),
            reasons: Some("lockstep@4:0.250".into()),
            events: Some(3),
            evidence: Some(Fixed(0.3)),
        }
        .to_json();
        let mut strings: Vec<&String> = a
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, x)| x.is_string())
            .map(|(k, _)| k)
            .collect();
        strings.sort();
        assert_eq!(strings, vec!["account", "group", "reasons"]);
        assert_eq!(
            (a["flagged"].as_i64(), a["score"].as_f64()),
            (Some(1), Some(0.25))
        );
    }

    #[test]
    fn fixed_matches_the_float_formatter() {
        for &x in &[
            0.0,
            0.00005,
            0.12345,
            0.99995,
            1.0,
            123.456,
            1e13,
            -0.5,
            f64::NAN,
        ] {
            let mut s = String::new();
            push_fixed(&mut s, x, 4).unwrap();
            let want = format!("{x:.4}");
            if x.is_finite() && (0.0..1e12).contains(&x) {
                // Same digits up to the half-way rule on the scaled value.
                assert!(
                    (s.parse::<f64>().unwrap() - x).abs() <= 0.00005 + 1e-12,
                    "{x}: {s}"
                );
            } else {
                assert_eq!(s, want);
            }
        }
    }
}
