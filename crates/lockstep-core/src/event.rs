//! The event schema: actions, timestamps and the parsing rules shared by every reader.

use std::fmt;
use std::str::FromStr;

/// What an account did. The order is stable: it is the on-disk code of the `action` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Action {
    /// Watched a video (`watch_ms`, `video_ms` when known).
    View = 0,
    /// Liked a video.
    Like = 1,
    /// Commented on a video (`text`).
    Comment = 2,
    /// Shared a video.
    Share = 3,
    /// Followed an account (the target is the account).
    Follow = 4,
    /// Sent a direct message to an account (`text`).
    Dm = 5,
    /// Published a video (the account is its creator).
    Publish = 6,
    /// Logged in (no target).
    Login = 7,
}

impl Action {
    /// Every action, in code order.
    pub const ALL: [Action; 8] = [
        Action::View,
        Action::Like,
        Action::Comment,
        Action::Share,
        Action::Follow,
        Action::Dm,
        Action::Publish,
        Action::Login,
    ];
    /// How many actions there are.
    pub const COUNT: usize = 8;

    /// The action's name in the input contract (`view`, `like`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Like => "like",
            Action::Comment => "comment",
            Action::Share => "share",
            Action::Follow => "follow",
            Action::Dm => "dm",
            Action::Publish => "publish",
            Action::Login => "login",
        }
    }

    #[inline]
    /// The action stored as `code` in the store's `action` column.
    pub fn from_code(code: u8) -> Action {
        Action::ALL[code as usize & 7]
    }

    /// Parse an action name. Accepts any ASCII case; nothing else.
    pub fn parse(s: &str) -> Option<Action> {
        let b = s.as_bytes();
        // Fast path for the canonical lowercase names, which is what logs carry.
        let a = match b {
            b"view" => Action::View,
            b"like" => Action::Like,
            b"comment" => Action::Comment,
            b"share" => Action::Share,
            b"follow" => Action::Follow,
            b"dm" => Action::Dm,
            b"publish" => Action::Publish,
            b"login" => Action::Login,
            _ => {
                let lower = s.trim().to_ascii_lowercase();
                if lower.as_str() == s {
                    return None;
                }
                return Action::parse(&lower);
            }
        };
        Some(a)
    }

    /// Actions whose target is a video (as opposed to an account, or nothing).
    pub fn targets_video(self) -> bool {
        matches!(
            self,
            Action::View | Action::Like | Action::Comment | Action::Share | Action::Publish
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Action::parse(s).ok_or(())
    }
}

/// Parse a timestamp: epoch milliseconds as an integer, or RFC 3339 (`2026-11-01T20:15:03+08:00`,
/// `...Z`, with optional fraction). Returns epoch milliseconds.
pub fn parse_ts(s: &str) -> Option<i64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let b = t.as_bytes();
    if b.iter().all(|c| c.is_ascii_digit())
        || (b[0] == b'-' && b.len() > 1 && b[1..].iter().all(|c| c.is_ascii_digit()))
    {
        return t.parse::<i64>().ok();
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Format epoch milliseconds as RFC 3339 in UTC with millisecond precision.
pub fn format_ts(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(d) => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

/// A cell that is present but not a valid value of its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidValue;

/// Parse an optional non-negative millisecond duration (`watch_ms`, `video_ms`). Empty means none.
pub fn parse_duration_ms(s: &str) -> Result<Option<u32>, InvalidValue> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(v) = t.parse::<u32>() {
        if v != u32::MAX {
            return Ok(Some(v));
        }
        return Err(InvalidValue);
    }
    // Tolerate "1234.0" as written by tools that store integers as floats.
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 && f < u32::MAX as f64 && f.fract() == 0.0 => {
            Ok(Some(f as u32))
        }
        _ => Err(InvalidValue),
    }
}

/// Parse an optional rating (`rating`: stars, a trust score — any finite number). Empty means none.
pub fn parse_rating(s: &str) -> Result<Option<f32>, InvalidValue> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(InvalidValue),
    }
}

/// The input columns, in contract order. `ts`, `account`, `action`, `target` are required.
pub const COLUMNS: [&str; COLUMN_COUNT] = [
    "ts", "account", "action", "target", "device", "ip", "watch_ms", "video_ms", "text", "rating",
    "creator",
];
/// How many input columns there are (readers size their per-row buffers by it).
pub const COLUMN_COUNT: usize = 11;
/// The columns every input must have.
pub const REQUIRED_COLUMNS: [&str; 4] = ["ts", "account", "action", "target"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(Action::from_code(a as u8), a);
        }
        assert_eq!(Action::parse("LIKE"), Some(Action::Like));
        assert_eq!(Action::parse("likes"), None);
        assert_eq!(Action::parse(""), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_ts("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(parse_ts("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_ts("1970-01-01T08:00:01.5+08:00"), Some(1500));
        assert_eq!(parse_ts("yesterday"), None);
        assert_eq!(parse_ts(""), None);
        assert_eq!(parse_ts("07/32/1998-10:00"), None);
        assert_eq!(format_ts(1500), "1970-01-01T00:00:01.500Z");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms(""), Ok(None));
        assert_eq!(parse_duration_ms("15000"), Ok(Some(15000)));
        assert_eq!(parse_duration_ms("15000.0"), Ok(Some(15000)));
        assert!(parse_duration_ms("-1").is_err());
        assert!(parse_duration_ms("abc").is_err());
    }
}
