//! The columnar, time-ordered `EventStore` every detector reads.
//!
//! Layout (per event, resident): `ts` i64 (8) + `account`, `target`, `device`, `ip`, `watch_ms`,
//! `video_ms` u32 (24) + `action` u8 (1) = 33 bytes of core columns, plus 4 bytes for the text id
//! and 8 bytes for the two CSR indexes (per account, per target). Names are interned once each
//! ([`Interner`]); comment/DM texts are deduplicated in their own interner.

use crate::event::{parse_duration_ms, parse_rating, parse_ts, Action};
use crate::intern::{Interner, NONE_ID};
use std::sync::Arc;

/// Why one input row could not become an event. Readers add the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The column of the bad cell.
    pub column: &'static str,
    /// The cell's value (clipped for display).
    pub value: String,
    /// Why it is not valid.
    pub reason: &'static str,
}

/// A value cut to 80 characters (with `…` when cut), for error messages.
pub fn clip_value(value: &str) -> String {
    let mut v: String = value.chars().take(80).collect();
    if v.len() < value.len() {
        v.push('…');
    }
    v
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = clip_value(&self.value);
        write!(
            f,
            "column `{}`: {} (value {:?})",
            self.column, self.reason, v
        )
    }
}

impl FieldError {
    /// A bad cell: its column, its value and why it is not valid.
    pub fn new(column: &'static str, value: impl Into<String>, reason: &'static str) -> Self {
        FieldError {
            column,
            value: value.into(),
            reason,
        }
    }
}

/// One input row as borrowed strings, before validation. Optional columns absent from the input
/// are `None`; present-but-empty cells are `Some("")` and mean "no value".
#[derive(Debug, Default, Clone, Copy)]
pub struct RawEvent<'a> {
    /// Epoch milliseconds or RFC 3339.
    pub ts: &'a str,
    /// The acting account.
    pub account: &'a str,
    /// The action's name.
    pub action: &'a str,
    /// The video or account acted on (empty for `login`).
    pub target: &'a str,
    /// Device id.
    pub device: Option<&'a str>,
    /// IP address.
    pub ip: Option<&'a str>,
    /// Watch time in milliseconds.
    pub watch_ms: Option<&'a str>,
    /// Video length in milliseconds.
    pub video_ms: Option<&'a str>,
    /// Comment or DM text.
    pub text: Option<&'a str>,
    /// A rating (any finite number).
    pub rating: Option<&'a str>,
    /// The target's owner.
    pub creator: Option<&'a str>,
}

impl<'a> RawEvent<'a> {
    /// A row from its cells in [`COLUMNS`](crate::COLUMNS) order (`None` for a column the
    /// input does not have). Readers build rows this way, so a new column needs no reader change.
    pub fn from_cells(c: [Option<&'a str>; crate::COLUMN_COUNT]) -> RawEvent<'a> {
        let [ts, account, action, target, device, ip, watch_ms, video_ms, text, rating, creator] =
            c;
        RawEvent {
            ts: ts.unwrap_or(""),
            account: account.unwrap_or(""),
            action: action.unwrap_or(""),
            target: target.unwrap_or(""),
            device,
            ip,
            watch_ms,
            video_ms,
            text,
            rating,
            creator,
        }
    }
}

/// A number as a columnar file stores it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// Any integer type (timestamps in milliseconds).
    Int(i64),
    /// Any float type.
    Float(f64),
}

/// The numeric columns of one row that a reader holds as numbers (see
/// [`TypedEvent::from_raw_with`]); `None` means "take the raw text".
#[derive(Debug, Default, Clone, Copy)]
pub struct Numbers {
    /// `ts` in epoch milliseconds.
    pub ts: Option<Num>,
    /// `watch_ms`.
    pub watch_ms: Option<Num>,
    /// `video_ms`.
    pub video_ms: Option<Num>,
    /// `rating`.
    pub rating: Option<Num>,
}

/// A validated event with owned-free, typed fields (used by the simulator and by typed readers).
#[derive(Debug, Clone, Copy)]
pub struct TypedEvent<'a> {
    /// Epoch milliseconds.
    pub ts: i64,
    /// The acting account.
    pub account: &'a str,
    /// What the account did.
    pub action: Action,
    /// The video or account acted on (empty for `login`).
    pub target: &'a str,
    /// Device id.
    pub device: Option<&'a str>,
    /// IP address.
    pub ip: Option<&'a str>,
    /// Watch time in milliseconds.
    pub watch_ms: Option<u32>,
    /// Video length in milliseconds.
    pub video_ms: Option<u32>,
    /// Comment or DM text.
    pub text: Option<&'a str>,
    /// A rating that came with the event (review stars, trust score), if the input has one.
    pub rating: Option<f32>,
    /// The target's owner (the video's creator), if the log names it.
    pub creator: Option<&'a str>,
}

impl<'a> TypedEvent<'a> {
    /// An event with the required columns only; every optional column is none. Set others with
    /// struct update syntax: `TypedEvent { ip: Some("1.2.3.4"), ..TypedEvent::new(…) }`.
    pub fn new(ts: i64, account: &'a str, action: Action, target: &'a str) -> Self {
        TypedEvent {
            ts,
            account,
            action,
            target,
            device: None,
            ip: None,
            watch_ms: None,
            video_ms: None,
            text: None,
            rating: None,
            creator: None,
        }
    }

    /// Parse and validate a raw row's typed fields (timestamp, action, durations); optional
    /// columns that are empty become `None`.
    pub fn from_raw(r: &RawEvent<'a>) -> Result<TypedEvent<'a>, FieldError> {
        Self::from_raw_with(r, &Numbers::default())
    }

    /// [`TypedEvent::from_raw`], taking the columns a columnar reader already holds as numbers
    /// from `n` instead of from the text (which is then ignored): the same rules, without
    /// formatting a number only to parse it back.
    pub fn from_raw_with(r: &RawEvent<'a>, n: &Numbers) -> Result<TypedEvent<'a>, FieldError> {
        const TS: &str = "not epoch milliseconds or an RFC 3339 timestamp";
        let ts = match n.ts {
            Some(Num::Int(v)) => v,
            // Integral floats pass, as their text would.
            Some(Num::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => f as i64,
            Some(Num::Float(f)) => return Err(FieldError::new("ts", f.to_string(), TS)),
            None => parse_ts(r.ts).ok_or_else(|| FieldError::new("ts", r.ts, TS))?,
        };
        let action = Action::parse(r.action).ok_or_else(|| {
            FieldError::new(
                "action",
                r.action,
                "unknown action (expected view, like, comment, share, follow, dm, publish, login)",
            )
        })?;
        const DURATION: &str = "not a non-negative integer";
        let duration = |column: &'static str, num: Option<Num>, v: Option<&str>| match (num, v) {
            (Some(Num::Int(x)), _) => match u32::try_from(x) {
                Ok(d) if d != u32::MAX => Ok(Some(d)),
                _ => Err(FieldError::new(column, x.to_string(), DURATION)),
            },
            (Some(Num::Float(f)), _) => match f {
                // As the text rule: "1234.0" from tools that store integers as floats.
                f if f.is_finite() && f >= 0.0 && f < u32::MAX as f64 && f.fract() == 0.0 => {
                    Ok(Some(f as u32))
                }
                f => Err(FieldError::new(column, f.to_string(), DURATION)),
            },
            (None, Some(v)) => {
                parse_duration_ms(v).map_err(|_| FieldError::new(column, v, DURATION))
            }
            (None, None) => Ok(None),
        };
        const RATING: &str = "not a finite number";
        let rating = match (n.rating, r.rating) {
            (Some(num), _) => {
                let v = match num {
                    Num::Int(x) => x as f32,
                    Num::Float(f) => f as f32,
                };
                if !v.is_finite() {
                    let shown = match num {
                        Num::Int(x) => x.to_string(),
                        Num::Float(f) => f.to_string(),
                    };
                    return Err(FieldError::new("rating", shown, RATING));
                }
                Some(v)
            }
            (None, Some(v)) => parse_rating(v).map_err(|_| FieldError::new("rating", v, RATING))?,
            (None, None) => None,
        };
        Ok(TypedEvent {
            ts,
            account: r.account,
            action,
            target: r.target,
            device: opt(r.device),
            ip: opt(r.ip),
            watch_ms: duration("watch_ms", n.watch_ms, r.watch_ms)?,
            video_ms: duration("video_ms", n.video_ms, r.video_ms)?,
            text: r.text.filter(|t| !t.is_empty()),
            rating,
            creator: opt(r.creator),
        })
    }

    /// The rules every stored event obeys: an account, and a target unless the action is `login`.
    pub fn check(&self) -> Result<(), FieldError> {
        if is_blank(self.account) {
            return Err(FieldError::new("account", self.account, "empty"));
        }
        if is_blank(self.target) && self.action != Action::Login {
            return Err(FieldError::new(
                "target",
                self.target,
                "empty (only `login` may have no target)",
            ));
        }
        Ok(())
    }
}

/// Checked events waiting to be interned: typed columns plus their strings in one arena, so a
/// reader can validate row by row (and report the row) and the builder can intern in bulk.
#[derive(Debug, Default, Clone)]
pub struct EventBatch {
    arena: String,
    ts: Vec<i64>,
    action: Vec<u8>,
    watch_ms: Vec<u32>,
    video_ms: Vec<u32>,
    /// Ratings, NaN for none; empty while no event of the batch has one.
    rating: Vec<f32>,
    /// `(start, len)` into `arena`; `len == u32::MAX` for "no value".
    account: Vec<(u32, u32)>,
    target: Vec<(u32, u32)>,
    device: Vec<(u32, u32)>,
    ip: Vec<(u32, u32)>,
    text: Vec<(u32, u32)>,
    creator: Vec<(u32, u32)>,
}

impl EventBatch {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Bytes of string data held (flush when large).
    pub fn arena_len(&self) -> usize {
        self.arena.len()
    }

    fn put(&mut self, v: Option<&str>) -> (u32, u32) {
        match v {
            Some(v) => {
                let start = self.arena.len() as u32;
                self.arena.push_str(v);
                (start, v.len() as u32)
            }
            None => (0, u32::MAX),
        }
    }

    fn get(&self, (start, len): (u32, u32)) -> &str {
        &self.arena[start as usize..(start + len) as usize]
    }

    fn opt(&self, r: (u32, u32)) -> Option<&str> {
        (r.1 != u32::MAX).then(|| self.get(r))
    }

    /// Add a checked event.
    pub fn push(&mut self, e: &TypedEvent<'_>) -> Result<(), FieldError> {
        e.check()?;
        self.ts.push(e.ts);
        self.action.push(e.action as u8);
        self.watch_ms.push(e.watch_ms.unwrap_or(NO_MS));
        self.video_ms.push(e.video_ms.unwrap_or(NO_MS));
        push_rating(&mut self.rating, self.ts.len() - 1, e.rating);
        let r = self.put(Some(e.account));
        self.account.push(r);
        let r = self.put(Some(e.target));
        self.target.push(r);
        let r = self.put(e.device);
        self.device.push(r);
        let r = self.put(e.ip);
        self.ip.push(r);
        let r = self.put(e.text);
        self.text.push(r);
        let r = self.put(e.creator);
        self.creator.push(r);
        Ok(())
    }

    /// Drop every event, keeping the allocations.
    pub fn clear(&mut self) {
        self.arena.clear();
        self.ts.clear();
        self.action.clear();
        self.watch_ms.clear();
        self.video_ms.clear();
        self.rating.clear();
        self.account.clear();
        self.target.clear();
        self.device.clear();
        self.ip.clear();
        self.text.clear();
        self.creator.clear();
    }
}

/// Compressed-sparse-row index: the events of key `k` are `items[offsets[k]..offsets[k+1]]`,
/// in time order.
#[derive(Debug, Default, Clone)]
pub struct Csr {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Csr {
    fn build(keys: &[u32], n_keys: usize) -> Csr {
        let mut offsets = vec![0u32; n_keys + 1];
        for &k in keys {
            offsets[k as usize + 1] += 1;
        }
        for i in 0..n_keys {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut items = vec![0u32; keys.len()];
        for (e, &k) in keys.iter().enumerate() {
            let c = &mut cursor[k as usize];
            items[*c as usize] = e as u32;
            *c += 1;
        }
        Csr { offsets, items }
    }

    #[inline]
    /// The events of `key`, in time order.
    pub fn get(&self, key: u32) -> &[u32] {
        let k = key as usize;
        &self.items[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.items.capacity()) * 4
    }
}

/// All events of one input, column by column, sorted by time (ties keep input order).
#[derive(Debug, Default, Clone)]
pub struct EventStore {
    /// Event time, epoch milliseconds, ascending.
    pub ts: Vec<i64>,
    /// Acting account id into `accounts`.
    pub account: Vec<u32>,
    /// Target id into `targets` (the empty name for logins).
    pub target: Vec<u32>,
    /// Action code ([`Action::from_code`]).
    pub action: Vec<u8>,
    /// Device id, or [`NONE_ID`].
    pub device: Vec<u32>,
    /// IP id, or [`NONE_ID`].
    pub ip: Vec<u32>,
    /// Watch time in ms, or `u32::MAX` for none.
    pub watch_ms: Vec<u32>,
    /// Video length in ms, or `u32::MAX` for none.
    pub video_ms: Vec<u32>,
    /// Text id into `texts`, or [`NONE_ID`].
    pub text: Vec<u32>,
    /// Rating per event (NaN for none), or empty when the input had no ratings at all — logs
    /// without a `rating` column pay nothing for it.
    pub rating: Vec<f32>,
    /// Account names.
    pub accounts: Interner,
    /// Target names (videos and accounts acted on).
    pub targets: Interner,
    /// Device ids.
    pub devices: Interner,
    /// IP addresses.
    pub ips: Interner,
    /// Distinct comment and DM texts.
    pub texts: Interner,
    /// Creator names (the `creator` column).
    pub creators: Interner,
    /// Each target's creator id into `creators`, or [`NONE_ID`]; empty when the input never
    /// names one. The first name given for a target wins.
    pub target_creator: Vec<u32>,
    by_account: Csr,
    by_target: Csr,
    derived: Derived,
}

/// Values computed from a finished store once and shared by whoever asks
/// ([`EventStore::derived`]): several detectors need the same derived table (each target's
/// creator key, say), and computing it once per store instead of once per detector saves a
/// pass over every event each time. A clone of the store starts with an empty cache.
#[derive(Default)]
struct Derived {
    cells: std::sync::Mutex<hashbrown::HashMap<std::any::TypeId, Arc<DerivedCell>>>,
}

/// One derived value, computed at most once.
type DerivedCell = std::sync::OnceLock<Arc<dyn std::any::Any + Send + Sync>>;

impl Clone for Derived {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
}

/// Sentinel for "no duration" in `watch_ms` / `video_ms`.
pub const NO_MS: u32 = u32::MAX;

impl EventStore {
    /// The value of type `T` derived from this store by `compute`, computed on the first call
    /// and shared after (one value per type: give each derived table its own type). Callers
    /// asking at once wait for the one computing it.
    pub fn derived<T: std::any::Any + Send + Sync>(
        &self,
        compute: impl FnOnce(&Self) -> T,
    ) -> Arc<T> {
        let cell = {
            let mut cells = self.derived.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells
                .entry(std::any::TypeId::of::<T>())
                .or_default()
                .clone()
        };
        let value = cell.get_or_init(|| Arc::new(compute(self)));
        value
            .clone()
            .downcast::<T>()
            .expect("a cell holds the type it is keyed by")
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Number of distinct accounts.
    pub fn n_accounts(&self) -> usize {
        self.accounts.len()
    }

    /// Number of distinct targets.
    pub fn n_targets(&self) -> usize {
        self.targets.len()
    }

    #[inline]
    /// The action of event `e`.
    pub fn action(&self, e: u32) -> Action {
        Action::from_code(self.action[e as usize])
    }

    /// Events of an account, in time order.
    #[inline]
    pub fn events_of_account(&self, account: u32) -> &[u32] {
        self.by_account.get(account)
    }

    /// Events on a target, in time order.
    #[inline]
    pub fn events_on_target(&self, target: u32) -> &[u32] {
        self.by_target.get(target)
    }

    /// First and last timestamp, if any event.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        Some((*self.ts.first()?, *self.ts.last()?))
    }

    /// Optional value helpers: `None` where the column had no value.
    #[inline]
    pub fn device_of(&self, e: u32) -> Option<u32> {
        let d = self.device[e as usize];
        (d != NONE_ID).then_some(d)
    }
    #[inline]
    /// The IP id of event `e`, if it has one.
    pub fn ip_of(&self, e: u32) -> Option<u32> {
        let d = self.ip[e as usize];
        (d != NONE_ID).then_some(d)
    }
    #[inline]
    /// The watch time of event `e`, if it has one.
    pub fn watch_of(&self, e: u32) -> Option<u32> {
        let d = self.watch_ms[e as usize];
        (d != NO_MS).then_some(d)
    }
    #[inline]
    /// The video length of event `e`, if it has one.
    pub fn video_len_of(&self, e: u32) -> Option<u32> {
        let d = self.video_ms[e as usize];
        (d != NO_MS).then_some(d)
    }
    #[inline]
    /// The rating of event `e`, if it has one.
    pub fn rating_of(&self, e: u32) -> Option<f32> {
        self.rating.get(e as usize).copied().filter(|r| !r.is_nan())
    }
    /// The creator the log names for target `t` (the `creator` column), if any.
    pub fn creator_of_target(&self, t: u32) -> Option<&str> {
        match self.target_creator.get(t as usize) {
            Some(&c) if c != NONE_ID => Some(self.creators.name(c)),
            _ => None,
        }
    }
    /// Whether any event carries a rating.
    pub fn has_ratings(&self) -> bool {
        !self.rating.is_empty()
    }
    #[inline]
    /// The text of event `e`, if it has one.
    pub fn text_of(&self, e: u32) -> Option<&str> {
        let d = self.text[e as usize];
        (d != NONE_ID).then(|| self.texts.name(d))
    }

    /// Resident bytes of columns, indexes and interners (capacity, not just length).
    pub fn heap_bytes(&self) -> usize {
        self.ts.capacity() * 8
            + (self.account.capacity()
                + self.target.capacity()
                + self.device.capacity()
                + self.ip.capacity()
                + self.watch_ms.capacity()
                + self.video_ms.capacity()
                + self.text.capacity()
                + self.rating.capacity())
                * 4
            + self.action.capacity()
            + self.by_account.heap_bytes()
            + self.by_target.heap_bytes()
            + self.accounts.heap_bytes()
            + self.targets.heap_bytes()
            + self.devices.heap_bytes()
            + self.ips.heap_bytes()
            + self.texts.heap_bytes()
    }
}

/// Record target `t`'s creator unless one is known already (a video has one owner; the first
/// name the log gives wins). The per-target column is allocated at the first creator.
fn set_creator(col: &mut Vec<u32>, creators: &mut Interner, t: usize, name: &str) {
    if col.len() <= t {
        col.resize(t + 1, NONE_ID);
    }
    if col[t] == NONE_ID {
        col[t] = creators.intern(name);
    }
}

/// Set event `i`'s rating in a lazily allocated column: nothing is stored until the first rating,
/// then earlier events are padded with NaN ("none").
fn push_rating(col: &mut Vec<f32>, i: usize, r: Option<f32>) {
    if let Some(r) = r {
        col.resize(i, f32::NAN);
        col.push(r);
    } else if !col.is_empty() {
        col.resize(i + 1, f32::NAN);
    }
}

/// Accumulates events in arrival order, then sorts and indexes them once in [`finish`].
///
/// [`finish`]: EventStoreBuilder::finish
#[derive(Debug, Default)]
pub struct EventStoreBuilder {
    store: EventStore,
}

/// Empty or only whitespace. Settled by the first byte for almost every id (ASCII, not a
/// space): trimming both ends of every cell was 2% of reading.
#[inline]
fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(0x21..=0x7f) => false, // printable ASCII: no space of any kind
        Some(_) => s.trim().is_empty(),
    }
}

fn opt(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !is_blank(v))
}

impl EventStoreBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        EventStoreBuilder {
            store: EventStore {
                accounts: Interner::new(),
                targets: Interner::new(),
                devices: Interner::new(),
                ips: Interner::new(),
                texts: Interner::new(),
                creators: Interner::new(),
                ..Default::default()
            },
        }
    }

    /// An empty builder with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        let mut b = Self::new();
        b.reserve(n);
        b
    }

    /// Make room for `additional` more events in every column (a reader that knows its row
    /// count saves the columns' regrowth: copies and fresh pages, a tenth of a 10M-event read).
    pub fn reserve(&mut self, additional: usize) {
        let s = &mut self.store;
        s.ts.reserve(additional);
        s.account.reserve(additional);
        s.target.reserve(additional);
        s.action.reserve(additional);
        s.device.reserve(additional);
        s.ip.reserve(additional);
        s.watch_ms.reserve(additional);
        s.video_ms.reserve(additional);
        s.text.reserve(additional);
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.store.ts.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.store.ts.is_empty()
    }

    /// Validate a raw row and append it. On error nothing is appended.
    pub fn push_raw(&mut self, r: &RawEvent<'_>) -> Result<(), FieldError> {
        self.push(&TypedEvent::from_raw(r)?)
    }

    /// Append a typed event. Fails only on an empty account, or an empty target for an action
    /// that needs one (every action but `login`).
    pub fn push(&mut self, e: &TypedEvent<'_>) -> Result<(), FieldError> {
        e.check()?;
        self.check_capacity(1)?;
        let s = &mut self.store;
        s.ts.push(e.ts);
        s.account.push(s.accounts.intern(e.account));
        s.target.push(s.targets.intern(e.target));
        s.action.push(e.action as u8);
        s.device
            .push(e.device.map_or(NONE_ID, |d| s.devices.intern(d)));
        s.ip.push(e.ip.map_or(NONE_ID, |d| s.ips.intern(d)));
        s.watch_ms.push(e.watch_ms.unwrap_or(NO_MS));
        s.video_ms.push(e.video_ms.unwrap_or(NO_MS));
        s.text.push(e.text.map_or(NONE_ID, |t| s.texts.intern(t)));
        push_rating(&mut s.rating, s.ts.len() - 1, e.rating);
        if let Some(c) = e.creator {
            let t = *s.target.last().expect("just pushed") as usize;
            set_creator(&mut s.target_creator, &mut s.creators, t, c);
        }
        Ok(())
    }

    fn check_capacity(&self, more: usize) -> Result<(), FieldError> {
        if self.store.ts.len() + more >= (u32::MAX - 1) as usize {
            return Err(FieldError::new(
                "ts",
                "",
                "more than 4 billion events in one store",
            ));
        }
        Ok(())
    }

    /// Append a batch of checked events, interning its id columns in parallel (accounts and
    /// targets on one thread, devices, IPs and texts on another), and empty the batch.
    /// Interning is the cost of loading: each id is a hash-table probe that misses cache.
    pub fn append(&mut self, batch: &mut EventBatch) -> Result<(), FieldError> {
        self.check_capacity(batch.len())?;
        let s = &mut self.store;
        let EventStore {
            accounts,
            targets,
            devices,
            ips,
            texts,
            account,
            target,
            device,
            ip,
            text,
            ..
        } = s;
        let b = &*batch;
        rayon::join(
            || {
                account.extend(b.account.iter().map(|&r| accounts.intern(b.get(r))));
                target.extend(b.target.iter().map(|&r| targets.intern(b.get(r))));
            },
            || {
                device.extend(
                    b.device
                        .iter()
                        .map(|&r| b.opt(r).map_or(NONE_ID, |d| devices.intern(d))),
                );
                ip.extend(
                    b.ip.iter()
                        .map(|&r| b.opt(r).map_or(NONE_ID, |d| ips.intern(d))),
                );
                text.extend(
                    b.text
                        .iter()
                        .map(|&r| b.opt(r).map_or(NONE_ID, |d| texts.intern(d))),
                );
            },
        );
        s.ts.extend_from_slice(&b.ts);
        s.action.extend_from_slice(&b.action);
        s.watch_ms.extend_from_slice(&b.watch_ms);
        s.video_ms.extend_from_slice(&b.video_ms);
        if !b.rating.is_empty() {
            let start = s.ts.len() - b.ts.len();
            s.rating.resize(start, f32::NAN);
            s.rating.extend_from_slice(&b.rating);
            s.rating.resize(s.ts.len(), f32::NAN);
        }
        let start = s.ts.len() - b.ts.len();
        for (i, &r) in b.creator.iter().enumerate() {
            if let Some(c) = b.opt(r) {
                let t = s.target[start + i] as usize;
                set_creator(&mut s.target_creator, &mut s.creators, t, c);
            }
        }
        batch.clear();
        Ok(())
    }

    /// The events pushed so far at or after `since`, finished into a store, leaving the builder
    /// as it is. The result is what a builder fed only those events (in the order they were
    /// pushed) would finish with — names renumbered in their first use among them, names they
    /// never use dropped — except that a target keeps the first creator ever given for it. Live mode
    /// takes one per pass over its horizon instead of re-reading stored events. O(kept events + their distinct names).
    pub fn snapshot_since(&self, since: i64) -> EventStore {
        EventStoreBuilder {
            store: self.compact_since(since),
        }
        .finish()
    }

    /// Drop the events before `since` and the names only they used (see
    /// [`EventStoreBuilder::snapshot_since`]); returns how many events were dropped.
    pub fn evict_before(&mut self, since: i64) -> usize {
        let before = self.len();
        self.store = self.compact_since(since);
        before - self.len()
    }

    /// How many of the events pushed so far are older than `since`. O(events).
    pub fn count_before(&self, since: i64) -> usize {
        self.store.ts.iter().filter(|&&t| t < since).count()
    }

    /// The unfinished columns of the events at or after `since`, renumbered (no sort, no index).
    fn compact_since(&self, since: i64) -> EventStore {
        let s = &self.store;
        let keep: Vec<usize> = (0..s.ts.len()).filter(|&i| s.ts[i] >= since).collect();
        /// Renumber one name column in first-use order into a fresh interner.
        fn remap(col: &[u32], keep: &[usize], names: &Interner, out: &mut Interner) -> Vec<u32> {
            let mut new_id = vec![NONE_ID; names.len()];
            keep.iter()
                .map(|&i| match col[i] {
                    NONE_ID => NONE_ID,
                    old => {
                        let slot = &mut new_id[old as usize];
                        if *slot == NONE_ID {
                            *slot = out.intern(names.name(old));
                        }
                        *slot
                    }
                })
                .collect()
        }
        let mut out = EventStoreBuilder::new().store;
        out.account = remap(&s.account, &keep, &s.accounts, &mut out.accounts);
        out.target = remap(&s.target, &keep, &s.targets, &mut out.targets);
        out.device = remap(&s.device, &keep, &s.devices, &mut out.devices);
        out.ip = remap(&s.ip, &keep, &s.ips, &mut out.ips);
        out.text = remap(&s.text, &keep, &s.texts, &mut out.texts);
        let pick = |v: &[u32]| keep.iter().map(|&i| v[i]).collect::<Vec<u32>>();
        out.watch_ms = pick(&s.watch_ms);
        out.video_ms = pick(&s.video_ms);
        out.ts = keep.iter().map(|&i| s.ts[i]).collect();
        out.action = keep.iter().map(|&i| s.action[i]).collect();
        if !s.rating.is_empty() {
            out.rating = keep
                .iter()
                .map(|&i| s.rating.get(i).copied().unwrap_or(f32::NAN))
                .collect();
            if out.rating.iter().all(|r| r.is_nan()) {
                out.rating.clear();
            }
        }
        if !s.target_creator.is_empty() {
            // Creators in the order their targets are first used.
            let mut seen = vec![false; out.targets.len()];
            for (k, &i) in keep.iter().enumerate() {
                let (old, new) = (s.target[i] as usize, out.target[k] as usize);
                if !std::mem::replace(&mut seen[new], true) {
                    if let Some(&c) = s.target_creator.get(old).filter(|&&c| c != NONE_ID) {
                        set_creator(
                            &mut out.target_creator,
                            &mut out.creators,
                            new,
                            s.creators.name(c),
                        );
                    }
                }
            }
        }
        out
    }

    /// Sort by time (stable), build the per-account and per-target indexes.
    pub fn finish(self) -> EventStore {
        let mut s = self.store;
        if !s.rating.is_empty() {
            s.rating.resize(s.ts.len(), f32::NAN);
        }
        let sorted = s.ts.windows(2).all(|w| w[0] <= w[1]);
        if !sorted {
            let mut perm: Vec<u32> = (0..s.ts.len() as u32).collect();
            perm.sort_by_key(|&i| s.ts[i as usize]);
            fn apply<T: Copy>(v: &mut Vec<T>, perm: &[u32]) {
                let out: Vec<T> = perm.iter().map(|&i| v[i as usize]).collect();
                *v = out;
            }
            apply(&mut s.ts, &perm);
            apply(&mut s.account, &perm);
            apply(&mut s.target, &perm);
            apply(&mut s.action, &perm);
            apply(&mut s.device, &perm);
            apply(&mut s.ip, &perm);
            apply(&mut s.watch_ms, &perm);
            apply(&mut s.video_ms, &perm);
            apply(&mut s.text, &perm);
            if !s.rating.is_empty() {
                apply(&mut s.rating, &perm);
            }
        }
        // Growth by doubling leaves up to half of each column unused; give it back.
        s.ts.shrink_to_fit();
        s.account.shrink_to_fit();
        s.target.shrink_to_fit();
        s.action.shrink_to_fit();
        s.device.shrink_to_fit();
        s.ip.shrink_to_fit();
        s.watch_ms.shrink_to_fit();
        s.video_ms.shrink_to_fit();
        s.text.shrink_to_fit();
        s.rating.shrink_to_fit();
        if !s.target_creator.is_empty() {
            s.target_creator.resize(s.targets.len(), NONE_ID);
        }
        let (by_account, by_target) = rayon::join(
            || Csr::build(&s.account, s.accounts.len()),
            || Csr::build(&s.target, s.targets.len()),
        );
        (s.by_account, s.by_target) = (by_account, by_target);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(ts: &'a str, account: &'a str, action: &'a str, target: &'a str) -> RawEvent<'a> {
        RawEvent {
            ts,
            account,
            action,
            target,
            ..Default::default()
        }
    }

    #[test]
    fn sorts_and_indexes() {
        let mut b = EventStoreBuilder::new();
        b.push_raw(&raw("30", "a", "view", "v1")).unwrap();
        b.push_raw(&raw("10", "b", "like", "v1")).unwrap();
        b.push_raw(&raw("20", "a", "like", "v2")).unwrap();
        b.push_raw(&raw("10", "a", "login", "")).unwrap();
        let s = b.finish();
        assert_eq!(s.ts, vec![10, 10, 20, 30]);
        // Stable: "b like" came before "a login" in the input.
        assert_eq!(s.accounts.name(s.account[0]), "b");
        let a = s.accounts.get("a").unwrap();
        let evs: Vec<i64> = s
            .events_of_account(a)
            .iter()
            .map(|&e| s.ts[e as usize])
            .collect();
        assert_eq!(evs, vec![10, 20, 30]);
        let v1 = s.targets.get("v1").unwrap();
        assert_eq!(s.events_on_target(v1).len(), 2);
        assert_eq!(s.action(0), Action::Like);
    }

    /// Every event as names, plus each interner's names in id order.
    fn render(s: &EventStore) -> (Vec<String>, Vec<Vec<String>>) {
        let events = (0..s.len() as u32)
            .map(|e| {
                let i = e as usize;
                format!(
                    "{} {} {:?} {} {:?} {:?} {:?} {} {:?} {:?}",
                    s.ts[i],
                    s.accounts.name(s.account[i]),
                    s.action(e),
                    s.targets.name(s.target[i]),
                    s.device_of(e).map(|d| s.devices.name(d)),
                    s.ip_of(e).map(|d| s.ips.name(d)),
                    s.watch_of(e),
                    s.text_of(e).unwrap_or("-"),
                    s.rating_of(e),
                    s.creator_of_target(s.target[i]),
                )
            })
            .collect();
        let names = [&s.accounts, &s.targets, &s.devices, &s.ips, &s.texts]
            .iter()
            .map(|n| n.iter().map(|(_, s)| s.to_string()).collect())
            .collect();
        (events, names)
    }

    #[test]
    fn snapshot_since_equals_a_builder_fed_only_the_recent_events() {
        let ev = |ts, account, action, target, device, text, rating| RawEvent {
            device,
            text,
            rating,
            creator: (target == "v1").then_some("creator1"),
            ..raw(ts, account, action, target)
        };
        let rows = [
            ev(
                "10",
                "old",
                "comment",
                "v0",
                Some("d0"),
                Some("hello"),
                Some("4"),
            ),
            ev("50", "b", "like", "v1", Some("d1"), None, None),
            ev("20", "a", "view", "v0", None, None, None),
            ev("60", "a", "comment", "v1", Some("d1"), Some("hi"), None),
            ev("55", "c", "login", "", Some("d2"), None, None),
            ev("70", "b", "view", "v2", None, None, None),
        ];
        let push = |b: &mut EventStoreBuilder, r: &RawEvent<'_>| b.push_raw(r).unwrap();
        let mut all = EventStoreBuilder::new();
        let mut recent = EventStoreBuilder::new();
        for r in &rows {
            push(&mut all, r);
            if r.ts.parse::<i64>().unwrap() >= 50 {
                push(&mut recent, r);
            }
        }
        let snap = all.snapshot_since(50);
        assert_eq!(render(&snap), render(&recent.finish()));
        assert_eq!(snap.len(), 4);
        assert!(
            snap.accounts.get("old").is_none(),
            "names only old events used are dropped"
        );
        assert!(snap.rating.is_empty(), "no kept event has a rating");
        // The builder is untouched until it evicts.
        assert_eq!((all.len(), all.count_before(50)), (6, 2));
        assert_eq!(all.evict_before(50), 2);
        assert_eq!(render(&all.finish()), render(&snap));
    }

    #[test]
    fn derived_values_are_computed_once_per_store_and_type() {
        let mut b = EventStoreBuilder::new();
        b.push_raw(&raw("1", "a", "view", "v")).unwrap();
        let s = b.finish();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        #[derive(Debug, PartialEq)]
        struct Len(usize);
        let get = || {
            s.derived(|s| {
                calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Len(s.len())
            })
        };
        let (x, y) = std::thread::scope(|t| {
            let x = t.spawn(get);
            (x.join().unwrap(), get())
        });
        assert_eq!((&*x, &*y), (&Len(1), &Len(1)));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another type is another value; a clone starts empty.
        assert_eq!(*s.derived(|_| 7u8), 7);
        let c = s.clone();
        assert_eq!(*c.derived(|_| 9u8), 9);
    }

    #[test]
    fn rejects_bad_fields_without_side_effects() {
        let mut b = EventStoreBuilder::new();
        let e = b.push_raw(&raw("x", "a", "view", "v")).unwrap_err();
        assert_eq!(e.column, "ts");
        let e = b.push_raw(&raw("1", "a", "poke", "v")).unwrap_err();
        assert_eq!(e.column, "action");
        let e = b.push_raw(&raw("1", "", "view", "v")).unwrap_err();
        assert_eq!(e.column, "account");
        let e = b.push_raw(&raw("1", "a", "view", "")).unwrap_err();
        assert_eq!(e.column, "target");
        let mut r = raw("1", "a", "view", "v");
        r.watch_ms = Some("-5");
        assert_eq!(b.push_raw(&r).unwrap_err().column, "watch_ms");
        assert!(b.is_empty());
        let s = b.finish();
        assert_eq!(s.accounts.len(), 0);
    }

    #[test]
    fn optional_columns() {
        let mut b = EventStoreBuilder::new();
        let mut r = raw("1", "a", "comment", "v");
        r.device = Some("d1");
        r.ip = Some("");
        r.watch_ms = Some("");
        r.video_ms = Some("15000");
        r.text = Some("哈哈哈");
        b.push_raw(&r).unwrap();
        let s = b.finish();
        assert_eq!(s.device_of(0).map(|d| s.devices.name(d)), Some("d1"));
        assert_eq!(s.ip_of(0), None);
        assert_eq!(s.watch_of(0), None);
        assert_eq!(s.video_len_of(0), Some(15000));
        assert_eq!(s.text_of(0), Some("哈哈哈"));
    }
}
