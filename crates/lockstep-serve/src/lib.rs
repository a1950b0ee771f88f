//! `lockstep serve`: live mode. Events arrive over HTTP, are stored durably in Parquet segments
//! ([`segments`]) and are acknowledged only once they would survive a crash; detection passes
//! run as event time advances (every `--pass-every-minutes` of event time) and on
//! `POST /v1/flush`; the read API serves the last pass's accounts, clean per-video metrics and
//! cases.
//!
//! Contract (paths and fields; see the README's *Live mode* section):
//! - `POST /v1/events` (role `ingest`): NDJSON (`application/x-ndjson`) or CSV with a header
//!   (`text/csv`), the file contract's columns plus optional `event_id`. `200 {"accepted": N,
//!   "duplicates": D}` once durable; a re-sent `event_id` is a duplicate, not stored twice; a bad
//!   row rejects the whole batch with `400` naming line, column and value; `413` over the body
//!   limit; `415` for another content type; `503` with `Retry-After` when every ingest slot is busy.
//! - `POST /v1/flush` (`admin`): a pass over everything stored; returns when its results are
//!   visible. Its flags equal `lockstep detect` on the same events.
//! - `GET /v1/accounts?flagged=true&format=csv|json`, `GET /v1/accounts/{id}`,
//!   `GET /v1/videos/{id}`, `GET /v1/cases`, `GET /v1/cases/{id}`, `GET /v1/stats`, `GET /metrics`
//!   (`viewer`); `GET /healthz` (no token). Bearer tokens: `401` without a known one, `403` for a
//!   role that may not.
//!
//! Sources besides HTTP: `--follow FILE` (module `follow`) and, with the cargo feature `kafka`, a
//! Kafka topic (`kafka`): both store through the same path as `POST /v1/events`.
//!
//! A periodic pass snapshots the horizon's events, kept in memory as batches become durable
//! (no segment is re-read); its cost still grows with the horizon's events, not only with the
//! new ones. A flush reads every segment. Case ids are stable across passes ([`cases`]).

#![deny(missing_docs)]

pub mod auth;
pub mod cases;
mod follow;
pub mod ingest;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod segments;

use auth::{Principal, Role, Tokens};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cases::{Cases, PassGroup};
use hashbrown::HashMap;
use ingest::BodyFormat;
use lockstep_core::{EventStore, EventStoreBuilder};
use lockstep_schema::{AccountRow, VideoRow, ACCOUNT_COLUMNS};
use segments::{SegmentBatch, Segments};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// Why the server could not start or store.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The tokens file is malformed.
    #[error("{path}:{line}: {message}")]
    Tokens {
        /// The tokens file.
        path: String,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A segment could not be written or read back.
    #[error("{path}: {message}")]
    Segment {
        /// The segment file.
        path: String,
        /// What failed.
        message: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A pass could not read the stored events.
    #[error("pass: {0}")]
    Pass(String),
    /// A setting names something that does not exist.
    #[error("{0}")]
    Config(String),
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The data directory (segments, `flagged_at.json`).
    pub data: PathBuf,
    /// `HOST:PORT` (port 0 picks a free one; the bound address is printed).
    pub listen: String,
    /// The tokens file.
    pub tokens: PathBuf,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// A pass runs when the newest event time has advanced this far since the last one.
    pub pass_every_ms: i64,
    /// Ingest batches handled at once; more get `503`.
    pub ingest_slots: usize,
    /// How long (event time) a false-positive verdict keeps its evidence from flagging the
    /// case's members again.
    pub suppress_ms: i64,
    /// Detectors in shadow mode: they score and open cases, but the clean counters are computed
    /// as if they had not run (measure a change before it acts on ranking).
    pub shadow: Vec<String>,
    /// Periodic passes look at the last `horizon_ms` of event time, kept in memory
    /// (`POST /v1/flush` reads everything stored).
    pub horizon_ms: i64,
    /// A growing NDJSON or CSV file to tail into the store (by extension; CSV needs its header
    /// on the first line).
    pub follow: Option<PathBuf>,
    /// A Kafka topic to consume into the store.
    #[cfg(feature = "kafka")]
    pub kafka: Option<kafka::KafkaSource>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            data: PathBuf::from("lockstep-data"),
            listen: "127.0.0.1:8080".into(),
            tokens: PathBuf::from("tokens.txt"),
            max_body_bytes: 64 << 20,
            pass_every_ms: 5 * 60_000,
            ingest_slots: 4,
            suppress_ms: 7 * 24 * 3_600_000,
            shadow: Vec::new(),
            horizon_ms: 72 * 3_600_000,
            follow: None,
            #[cfg(feature = "kafka")]
            kafka: None,
        }
    }
}

/// What the last pass decided, as the read API serves it.
#[derive(Default)]
struct Snapshot {
    /// Newest event time the pass covered.
    covered_ts: Option<i64>,
    events: usize,
    flagged: usize,
    accounts: Vec<AccountRow<'static>>,
    /// Per row of `accounts`: the event time of the pass that first flagged it (kept across
    /// passes and restarts in `flagged_at.json`).
    flagged_at: Vec<Option<i64>>,
    account_index: HashMap<String, usize>,
    videos: HashMap<String, VideoRow<'static>>,
    /// Case id → its group in this pass, as in `groups.json`.
    case_json: HashMap<String, serde_json::Value>,
    /// Case id → the report's section for its group (charts included).
    case_html: HashMap<String, String>,
}

/// Pass bookkeeping (one pass at a time).
#[derive(Default, Serialize)]
struct PassLog {
    passes: u64,
    /// Newest event time at which a pass was last started.
    #[serde(skip)]
    started_at_ts: Option<i64>,
    last_wall_ms: f64,
    last_read_ms: f64,
    last_detect_ms: f64,
    /// Account → event time of the pass that first flagged it.
    #[serde(skip)]
    flagged_at: HashMap<String, i64>,
}

pub(crate) struct App {
    cfg: ServeConfig,
    tokens: Tokens,
    segments: Mutex<Segments>,
    /// The events of the horizon in memory, appended as batches become durable: a pass
    /// snapshots it instead of re-reading segments.
    window: Mutex<EventStoreBuilder>,
    cases: Mutex<Cases>,
    snapshot: RwLock<Arc<Snapshot>>,
    pass: Mutex<PassLog>,
    pass_running: AtomicBool,
    slots: tokio::sync::Semaphore,
    duplicates: AtomicU64,
    rejected_batches: AtomicU64,
    accepted_batches: AtomicU64,
    /// Merges of small segments done since start.
    compactions: AtomicU64,
    /// What `--follow` is doing (empty without it).
    follow_status: Mutex<String>,
    /// What the Kafka consumer is doing (empty without one).
    kafka_status: Mutex<String>,
}

/// Serve until SIGINT or SIGTERM. Prints `lockstep serve: listening on http://ADDR` once ready.
pub fn run(cfg: ServeConfig) -> Result<(), ServeError> {
    let tokens_text = std::fs::read_to_string(&cfg.tokens).map_err(|source| ServeError::Io {
        path: cfg.tokens.display().to_string(),
        source,
    })?;
    let tokens = Tokens::parse(&cfg.tokens.display().to_string(), &tokens_text)?;
    let known: Vec<&str> = lockstep_detect::registry()
        .iter()
        .map(|d| d.id().id)
        .collect();
    if let Some(bad) = cfg.shadow.iter().find(|d| !known.contains(&d.as_str())) {
        return Err(ServeError::Config(format!(
            "--shadow {bad:?}: no such detector (known: {})",
            known.join(", ")
        )));
    }
    std::fs::create_dir_all(&cfg.data).map_err(|source| ServeError::Io {
        path: cfg.data.display().to_string(),
        source,
    })?;
    let segments = Segments::open(&cfg.data)?;
    let window = load_window(&segments, cfg.horizon_ms)?;
    let cases = Cases::open(&cfg.data)?;
    let flagged_at = load_flagged_at(&cfg.data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Io {
            path: "<runtime>".into(),
            source,
        })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cfg.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: cfg.listen.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: cfg.listen.clone(),
            source,
        })?;
        let (events, n_segments) = (segments.events, segments.paths().len());
        let app = Arc::new(App {
            slots: tokio::sync::Semaphore::new(cfg.ingest_slots.max(1)),
            cfg,
            tokens,
            segments: Mutex::new(segments),
            window: Mutex::new(window),
            cases: Mutex::new(cases),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            pass: Mutex::new(PassLog {
                flagged_at,
                ..Default::default()
            }),
            pass_running: AtomicBool::new(false),
            duplicates: AtomicU64::new(0),
            rejected_batches: AtomicU64::new(0),
            accepted_batches: AtomicU64::new(0),
            compactions: AtomicU64::new(0),
            follow_status: Mutex::new(String::new()),
            kafka_status: Mutex::new(String::new()),
        });
        let router = router(app.clone());
        println!(
            "lockstep serve: listening on http://{addr} ({events} events stored in {n_segments} segments)"
        );
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        // Restarted with events stored: serve results again without waiting for new events.
        if events > 0 {
            start_pass(&app);
        }
        if let Some(path) = app.cfg.follow.clone() {
            let app = app.clone();
            let handle = tokio::runtime::Handle::current();
            std::thread::spawn(move || follow::tail(&app, &path, &handle));
        }
        #[cfg(feature = "kafka")]
        if let Some(src) = app.cfg.kafka.clone() {
            let app = app.clone();
            let handle = tokio::runtime::Handle::current();
            std::thread::spawn(move || kafka::consume(&app, &src, &handle));
        }
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|source| ServeError::Io {
                path: "<server>".into(),
                source,
            })
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn router(app: Arc<App>) -> Router {
    let limit = app.cfg.max_body_bytes;
    Router::new()
        .route("/", get(dashboard))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/v1/events", post(post_events))
        .route("/v1/flush", post(post_flush))
        .route("/v1/accounts", get(get_accounts))
        .route("/v1/accounts/{id}", get(get_account))
        .route("/v1/videos/{id}", get(get_video))
        .route("/v1/cases", get(get_cases))
        .route("/v1/cases/{id}", get(get_case))
        .route("/v1/cases/{id}/verdict", post(post_verdict))
        .route("/v1/cases/{id}/report", get(get_case_report))
        .route("/v1/audit", get(get_audit))
        .route("/v1/detectors", get(get_detectors))
        .route("/v1/stats", get(get_stats))
        .route("/metrics", get(get_metrics))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such path") })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    #[derive(Serialize)]
    struct E {
        error: String,
    }
    (
        status,
        Json(E {
            error: message.into(),
        }),
    )
        .into_response()
}

/// The caller, if its token may do what `needed` allows; else the `401` / `403` to send.
fn authorize(app: &App, headers: &HeaderMap, needed: Role) -> Result<Principal, Box<Response>> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match app.tokens.check(value) {
        None => {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "missing or unknown bearer token (Authorization: Bearer TOKEN)",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Err(Box::new(r))
        }
        Some(p) if !p.role.allows(needed) => Err(Box::new(error(
            StatusCode::FORBIDDEN,
            format!("role {:?} may not do this (needs {:?})", p.role, needed).to_lowercase(),
        ))),
        Some(p) => Ok(p.clone()),
    }
}

/// The caller, authorised for role `R` (one of the constants below) before the handler runs:
/// an extractor, so `401` / `403` come before any parsing and no handler can forget the check.
pub(crate) struct Authorized<const R: u8>(Principal);

const INGEST: u8 = 0;
const VIEWER: u8 = 1;
const ANALYST: u8 = 2;
const ADMIN: u8 = 3;

impl<const R: u8> axum::extract::FromRequestParts<Arc<App>> for Authorized<R> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &Arc<App>,
    ) -> Result<Self, Response> {
        let needed = match R {
            INGEST => Role::Ingest,
            VIEWER => Role::Viewer,
            ANALYST => Role::Analyst,
            _ => Role::Admin,
        };
        authorize(app, &parts.headers, needed)
            .map(Authorized)
            .map_err(|r| *r)
    }
}

#[derive(Serialize)]
pub(crate) struct Accepted {
    accepted: u64,
    duplicates: u64,
}

async fn post_events(
    State(app): State<Arc<App>>,
    _: Authorized<INGEST>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(format) = BodyFormat::from_content_type(ct) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type {ct:?}: send application/x-ndjson or text/csv"),
        );
    };
    let Ok(_slot) = app.slots.try_acquire() else {
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "every ingest slot is busy: retry",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    let worker = app.clone();
    let done = tokio::task::spawn_blocking(move || store_batch(&worker, format, &body, None)).await;
    match done {
        Ok(Ok(a)) => {
            app.accepted_batches.fetch_add(1, Ordering::Relaxed);
            maybe_start_pass(&app);
            (StatusCode::OK, Json(a)).into_response()
        }
        Ok(Err(Rejected::Bad(b))) => {
            app.rejected_batches.fetch_add(1, Ordering::Relaxed);
            (StatusCode::BAD_REQUEST, Json(b)).into_response()
        }
        Ok(Err(Rejected::Store(e))) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("not stored: {e}"),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("not stored: {e}"),
        ),
    }
}

pub(crate) enum Rejected {
    Bad(ingest::BadBatch),
    Store(ServeError),
}

/// Parse, drop duplicates, write durably. Holds the segments lock throughout, so a batch's
/// duplicates are judged against everything stored before it, and nothing is half-visible.
/// `id_of_row`, when given, names rows that carry no `event_id` from their byte offset in `body`
/// (`--follow` makes re-reading a file idempotent this way).
pub(crate) fn store_batch(
    app: &App,
    format: BodyFormat,
    body: &[u8],
    id_of_row: Option<&dyn Fn(u64) -> String>,
) -> Result<Accepted, Rejected> {
    let mut segs = app.segments.lock().unwrap_or_else(|p| p.into_inner());
    let mut batch = SegmentBatch::default();
    let mut seen_here: hashbrown::HashSet<u128> = hashbrown::HashSet::new();
    let mut duplicates = 0u64;
    ingest::parse_body(format, body, |e, id, at| {
        let derived = match (id, id_of_row) {
            (None, Some(f)) => Some(f(at)),
            _ => None,
        };
        let id = id.or(derived.as_deref());
        if let Some(id) = id {
            let h = segments::id_hash(id);
            if segs.contains(h) || !seen_here.insert(h) {
                duplicates += 1;
                return Ok(());
            }
        }
        batch.push(e, id)
    })
    .map_err(Rejected::Bad)?;
    let accepted = batch.rows as u64;
    let mut events = batch.take_events();
    segs.append(batch).map_err(Rejected::Store)?;
    // Durable: now visible to passes (under the segments lock, so in the order stored).
    lock(&app.window)
        .append(&mut events)
        .map_err(|e| Rejected::Store(ServeError::Pass(e.to_string())))?;
    app.duplicates.fetch_add(duplicates, Ordering::Relaxed);
    Ok(Accepted {
        accepted,
        duplicates,
    })
}

/// Start a background pass when event time has advanced a pass interval since the last one.
pub(crate) fn maybe_start_pass(app: &Arc<App>) {
    let newest = app
        .segments
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .newest_ts;
    let Some(newest) = newest else { return };
    let due = {
        let log = app.pass.lock().unwrap_or_else(|p| p.into_inner());
        log.started_at_ts
            .is_none_or(|t| newest >= t + app.cfg.pass_every_ms)
    };
    if due {
        start_pass(app);
    }
}

/// Run a pass in the background unless one is running.
fn start_pass(app: &Arc<App>) {
    if app.pass_running.swap(true, Ordering::AcqRel) {
        return;
    }
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = run_pass(&app, false) {
            eprintln!("lockstep serve: {e}");
        }
        // Between passes, under the same flag as passes and flushes (the only readers of
        // segment files once serving), so no reader sees a file vanish.
        if let Err(e) = compact(&app) {
            eprintln!("lockstep serve: compaction: {e}");
        }
        app.pass_running.store(false, Ordering::Release);
    });
}

#[derive(Serialize)]
struct PassSummary {
    events: usize,
    flagged: usize,
    groups: usize,
    covered_event_time: Option<i64>,
    wall_ms: f64,
}

/// A pass: read the segments (within the horizon, or all for a flush), detect, publish a new
/// snapshot.
fn run_pass(app: &App, everything: bool) -> Result<PassSummary, ServeError> {
    let t0 = Instant::now();
    let newest = lock(&app.segments).newest_ts;
    app.pass
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .started_at_ts = newest;
    let store = match (everything, newest) {
        // A pass over the horizon: the in-memory window, old events evicted once they are
        // half of it (so eviction costs O(1) per event over time).
        (false, Some(n)) => {
            let since = n.saturating_sub(app.cfg.horizon_ms);
            let mut w = lock(&app.window);
            let store = w.snapshot_since(since);
            if (w.len() - store.len()) * 2 > w.len() {
                w.evict_before(since);
            }
            store
        }
        // A flush: everything stored, read from the segments.
        _ => {
            let paths = lock(&app.segments).paths().to_vec();
            read_segments(&paths)?
        }
    };
    let read_ms = t0.elapsed().as_secs_f64() * 1e3;
    let covered_ts = store.time_span().map(|s| s.1);
    let registry = lockstep_detect::registry();
    let t1 = Instant::now();
    // Evidence an analyst ruled a false positive does not count again until it expires.
    let suppressed = lock(&app.cases).suppressed(covered_ts.unwrap_or(i64::MIN))?;
    let mut findings = lockstep_detect::find(&store, &registry);
    if !suppressed.is_empty() {
        // By store id, looked up once per suppression rather than named per finding member.
        let by_id: hashbrown::HashSet<(u32, &str)> = suppressed
            .iter()
            .filter_map(|(a, d)| store.accounts.get(a).map(|id| (id, d.as_str())))
            .collect();
        for f in &mut findings {
            f.members
                .retain(|&(acc, _)| !by_id.contains(&(acc, f.detector.id)));
        }
        findings.retain(|f| !f.members.is_empty());
    }
    let cfg = lockstep_detect::FusionConfig::default();
    // Shadow detectors count for scores and cases but not for the clean counters: those come
    // from a second fusion without them.
    let acting: Option<Vec<lockstep_detect::Finding>> = (!app.cfg.shadow.is_empty()).then(|| {
        findings
            .iter()
            .filter(|f| !app.cfg.shadow.iter().any(|d| d == f.detector.id))
            .cloned()
            .collect()
    });
    let detection = lockstep_detect::fuse(&store, findings, &cfg);
    let detect_time = t1.elapsed();
    let t2 = Instant::now();
    let videos = match acting {
        Some(f) => {
            let acting = lockstep_detect::fuse(&store, f, &cfg);
            lockstep_report::metrics::video_metrics(&store, &acting)
        }
        None => lockstep_report::metrics::video_metrics(&store, &detection),
    };
    let a = lockstep_report::pipeline::Analysis {
        detectors: registry.iter().map(|d| d.id()).collect(),
        store,
        detection,
        videos,
        detect_time,
        metrics_time: t2.elapsed(),
    };
    let detect_ms = t1.elapsed().as_secs_f64() * 1e3;
    let (store, det) = (&a.store, &a.detection);
    let ranked = lockstep_report::ranked_accounts(store, det);
    let mut accounts = Vec::with_capacity(ranked.len());
    let mut account_index = HashMap::with_capacity(ranked.len());
    for &acc in &ranked {
        let reasons = lockstep_report::reasons_string(det, acc);
        let row = lockstep_report::account_row(store, det, acc, &reasons).into_owned();
        account_index.insert(row.account.to_string(), accounts.len());
        accounts.push(row);
    }
    let videos: HashMap<String, VideoRow<'static>> = a
        .videos
        .iter()
        .map(|m| {
            let row = lockstep_report::video_row(store, m).into_owned();
            (row.target.to_string(), row)
        })
        .collect();
    let doc = lockstep_report::groups_json(store, det, &a.detectors);
    // Groups become cases with ids stable across passes.
    let pass_groups: Vec<PassGroup> = doc
        .groups
        .iter()
        .map(|g| {
            let mut members: Vec<String> =
                g.members.iter().map(|m| m.account.to_string()).collect();
            members.sort();
            let mut detectors: Vec<String> =
                g.evidence.iter().map(|e| e.detector.to_string()).collect();
            detectors.sort();
            detectors.dedup();
            PassGroup {
                group: g.id.to_string(),
                members,
                detectors,
                score: g.score,
                label: format!("{}/{}/{}", g.label.label1, g.label.label2, g.label.label3),
            }
        })
        .collect();
    let case_of = lock(&app.cases).record_pass(covered_ts.unwrap_or(0), &pass_groups)?;
    let mut case_json = HashMap::with_capacity(doc.groups.len());
    for g in &doc.groups {
        if let Some(case) = case_of.get(g.id.as_ref()) {
            case_json.insert(case.clone(), serde_json::to_value(g).unwrap_or_default());
        }
    }
    let cases = case_json.len();
    // The report's section per case, rendered once per pass (the dashboard shows it).
    let mut case_html = HashMap::with_capacity(cases);
    for g in &det.groups {
        if let Some(case) = case_of.get(&g.id) {
            case_html.insert(
                case.clone(),
                lockstep_report::html::group_section(store, det, &a.videos, g),
            );
        }
    }
    let flagged = det.n_flagged();
    let summary = PassSummary {
        events: store.len(),
        flagged,
        groups: cases,
        covered_event_time: covered_ts,
        wall_ms: 0.0,
    };
    let flagged_at: Vec<Option<i64>> = {
        let mut log = app.pass.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ts) = covered_ts {
            for row in accounts.iter().filter(|r| r.flagged.0) {
                log.flagged_at.entry(row.account.to_string()).or_insert(ts);
            }
        }
        save_flagged_at(&app.cfg.data, &log.flagged_at)?;
        log.passes += 1;
        log.last_read_ms = read_ms;
        log.last_detect_ms = detect_ms;
        log.last_wall_ms = t0.elapsed().as_secs_f64() * 1e3;
        accounts
            .iter()
            .map(|r| log.flagged_at.get(r.account.as_ref()).copied())
            .collect()
    };
    let snap = Snapshot {
        covered_ts,
        events: store.len(),
        flagged,
        accounts,
        flagged_at,
        account_index,
        videos,
        case_json,
        case_html,
    };
    *app.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(snap);
    Ok(PassSummary {
        wall_ms: t0.elapsed().as_secs_f64() * 1e3,
        ..summary
    })
}

/// Merge runs of small segments: up to eight per call, between two passes (passes wait for
/// it, so it is bounded; eight large runs keep up with a feed of small batches).
fn compact(app: &App) -> Result<(), ServeError> {
    for _ in 0..8 {
        let (plan, dir) = {
            let s = lock(&app.segments);
            (s.plan_compaction(), s.dir().to_path_buf())
        };
        let Some(c) = plan else { break };
        let merged = segments::merge(&dir, &c)?;
        lock(&app.segments).commit_compaction(c, merged)?;
        app.compactions.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Read segment files into one store.
fn read_segments(paths: &[PathBuf]) -> Result<EventStore, ServeError> {
    let mut builder = EventStoreBuilder::new();
    read_segments_into(paths, &mut builder)?;
    Ok(builder.finish())
}

fn read_segments_into(
    paths: &[PathBuf],
    builder: &mut EventStoreBuilder,
) -> Result<(), ServeError> {
    let opts = lockstep_io::ReadOptions::default();
    for p in paths {
        lockstep_io::read_into(&p.display().to_string(), &opts, builder)
            .map_err(|e| ServeError::Pass(e.to_string()))?;
    }
    Ok(())
}

/// At start: the stored events within the horizon of the newest, for the in-memory window.
fn load_window(segments: &Segments, horizon_ms: i64) -> Result<EventStoreBuilder, ServeError> {
    let mut builder = EventStoreBuilder::new();
    if let Some(n) = segments.newest_ts {
        let since = n.saturating_sub(horizon_ms);
        read_segments_into(&segments.paths_since(since), &mut builder)?;
        builder.evict_before(since);
    }
    Ok(builder)
}

fn flagged_at_path(data: &Path) -> PathBuf {
    data.join("flagged_at.json")
}

fn load_flagged_at(data: &Path) -> Result<HashMap<String, i64>, ServeError> {
    let p = flagged_at_path(data);
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str::<std::collections::BTreeMap<String, i64>>(&text)
            .map(|m| m.into_iter().collect())
            .map_err(|e| ServeError::Segment {
                path: p.display().to_string(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashMap::new()),
        Err(source) => Err(ServeError::Io {
            path: p.display().to_string(),
            source,
        }),
    }
}

/// Written to a temporary file and renamed over the old one: a crash leaves one or the other.
fn save_flagged_at(data: &Path, map: &HashMap<String, i64>) -> Result<(), ServeError> {
    let p = flagged_at_path(data);
    let tmp = data.join(".flagged_at.json.tmp");
    let sorted: std::collections::BTreeMap<&String, &i64> = map.iter().collect();
    let text = serde_json::to_string(&sorted).unwrap_or_else(|_| "{}".into());
    let io = |source| ServeError::Io {
        path: p.display().to_string(),
        source,
    };
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, &p).map_err(io)
}

async fn post_flush(State(app): State<Arc<App>>, _: Authorized<ADMIN>) -> Response {
    // Wait for a running background pass, then run one over everything stored.
    loop {
        if !app.pass_running.swap(true, Ordering::AcqRel) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let worker = app.clone();
    let done = tokio::task::spawn_blocking(move || run_pass(&worker, true)).await;
    app.pass_running.store(false, Ordering::Release);
    match done {
        Ok(Ok(s)) => (StatusCode::OK, Json(s)).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn snapshot(app: &App) -> Arc<Snapshot> {
    app.snapshot
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

#[derive(Deserialize)]
struct AccountsQuery {
    flagged: Option<bool>,
    format: Option<String>,
}

/// An `accounts.csv` row with the event time of the pass that first flagged the account.
fn live_account(row: &AccountRow<'static>, flagged_at: Option<i64>) -> serde_json::Value {
    let mut v = row.to_json();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("flagged_at".into(), serde_json::json!(flagged_at));
    }
    v
}

async fn get_accounts(
    State(app): State<Arc<App>>,
    _: Authorized<VIEWER>,
    Query(q): Query<AccountsQuery>,
) -> Response {
    let snap = snapshot(&app);
    let rows = snap
        .accounts
        .iter()
        .zip(&snap.flagged_at)
        .filter(|(r, _)| q.flagged.is_none_or(|f| r.flagged.0 == f));
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let out: Vec<serde_json::Value> =
                rows.map(|(row, &at)| live_account(row, at)).collect();
            Json(out).into_response()
        }
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header: Vec<&str> = ACCOUNT_COLUMNS.to_vec();
            header.push("flagged_at");
            let _ = w.write_record(&header);
            // Rows serialise through the contract's type; the extra column is appended.
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(w.into_inner().unwrap_or_default());
            for (row, at) in rows {
                let _ = w.serialize((row, at));
            }
            let body = w.into_inner().unwrap_or_default();
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
        }
        other => error(
            StatusCode::BAD_REQUEST,
            format!("format {other:?}: use csv or json"),
        ),
    }
}

async fn get_account(
    State(app): State<Arc<App>>,
    _: Authorized<VIEWER>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let snap = snapshot(&app);
    let Some(&i) = snap.account_index.get(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no account {id:?} in the last pass"),
        );
    };
    Json(live_account(&snap.accounts[i], snap.flagged_at[i])).into_response()
}

async fn get_video(
    State(app): State<Arc<App>>,
    _: Authorized<VIEWER>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let snap = snapshot(&app);
    match snap.videos.get(&id) {
        Some(v) => Json(v.to_json()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no target {id:?} in the last pass"),
        ),
    }
}

#[derive(Deserialize)]
struct CasesQuery {
    status: Option<String>,
}

/// A poisoned lock still holds consistent data here (every writer finishes its update before it
/// can panic), so take it rather than fail every later request.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn get_cases(
    State(app): State<Arc<App>>,
    _: Authorized<VIEWER>,
    Query(q): Query<CasesQuery>,
) -> Response {
    let status = q.status.as_deref().unwrap_or("open");
    const STATUSES: [&str; 6] = [
        "open",
        "confirmed",
        "false_positive",
        "needs_review",
        "closed",
        "all",
    ];
    if !STATUSES.contains(&status) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("status {status:?}: use one of {}", STATUSES.join(", ")),
        );
    }
    match lock(&app.cases).list(status) {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn get_case(
    State(app): State<Arc<App>>,
    _: Authorized<VIEWER>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let (found, history) = {
        let c = lock(&app.cases);
        (c.get(&id), c.audit(Some(&id)))
    };
    let (case, members, detectors) = match found {
        Ok(Some(x)) => x,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no case {id:?}")),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let history = history.unwrap_or_default();
    let verdicts: Vec<&cases::Entry> = history.iter().filter(|e| e.action == "verdict").collect();
    let snap = snapshot(&app);
    Json(serde_json::json!({
        "case": case,
        "members": members,
        "detectors": detectors,
        "group": snap.case_json.get(&id),
        "history": history,
        "verdicts": verdicts,
    }))
    .into_response()
}

async fn get_case_report(
    State(app): State<Arc<App>>,
    _: Authorized<VIEWER>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let snap = snapshot(&app);
    match snap.case_html.get(&id) {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            h.clone(),
        )
            .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("case {id:?} has no group in the last pass"),
        ),
    }
}

/// The dashboard: one static page (no data in it; it signs in with a token and calls the API).
async fn dashboard() -> Response {
    let page = DASHBOARD.replace("/*CSS*/", lockstep_report::html::CSS);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

const DASHBOARD: &str = include_str!("dashboard.html");

#[derive(Deserialize)]
struct VerdictBody {
    verdict: String,
    #[serde(default)]
    note: String,
}

async fn post_verdict(
    State(app): State<Arc<App>>,
    Authorized(who): Authorized<ANALYST>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    let v: VerdictBody = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body: {e} (expected {{\"verdict\": \"confirmed\"|\"false_positive\"|\"needs_review\", \"note\": \"...\"}})"),
            )
        }
    };
    if !cases::VERDICTS.contains(&v.verdict.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "verdict {:?}: use one of {}",
                v.verdict,
                cases::VERDICTS.join(", ")
            ),
        );
    }
    if v.note.len() > 10_000 {
        return error(StatusCode::BAD_REQUEST, "note longer than 10,000 bytes");
    }
    let now_event = lock(&app.segments).newest_ts.unwrap_or(0);
    let done = lock(&app.cases).verdict(
        &id,
        &v.verdict,
        &v.note,
        &who.name,
        now_event,
        app.cfg.suppress_ms,
    );
    match done {
        Ok(Some(())) => Json(serde_json::json!({"case": id, "status": v.verdict, "by": who.name}))
            .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no case {id:?}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

async fn get_audit(
    State(app): State<Arc<App>>,
    _: Authorized<ANALYST>,
    Query(q): Query<FormatQuery>,
) -> Response {
    let entries = match lock(&app.cases).audit(None) {
        Ok(e) => e,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    match q.format.as_deref().unwrap_or("json") {
        "json" => Json(entries).into_response(),
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for e in &entries {
                let _ = w.serialize(e);
            }
            if entries.is_empty() {
                let _ = w.write_record(["at", "event_time", "who", "action", "case_id", "detail"]);
            }
            let body = w.into_inner().unwrap_or_default();
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
        }
        other => error(
            StatusCode::BAD_REQUEST,
            format!("format {other:?}: use csv or json"),
        ),
    }
}

async fn get_detectors(State(app): State<Arc<App>>, _: Authorized<VIEWER>) -> Response {
    let judged = match lock(&app.cases).detector_precision() {
        Ok(p) => p,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let out: Vec<serde_json::Value> = lockstep_detect::registry()
        .iter()
        .map(|d| {
            let id = d.id();
            let p = judged.iter().find(|p| p.detector == id.id);
            serde_json::json!({
                "detector": id.id,
                "version": id.version,
                "confirmed": p.map_or(0, |p| p.confirmed),
                "false_positive": p.map_or(0, |p| p.false_positive),
                "precision": p.and_then(|p| p.precision),
            })
        })
        .collect();
    Json(out).into_response()
}

#[derive(Serialize)]
struct Stats<'a> {
    events_stored: u64,
    segments: usize,
    compactions: u64,
    duplicates: u64,
    accepted_batches: u64,
    rejected_batches: u64,
    newest_event_time: Option<i64>,
    pass_covered_event_time: Option<i64>,
    pass_events: usize,
    flagged: usize,
    pass_running: bool,
    passes: &'a PassLog,
    follow: String,
    kafka: String,
    shadow: &'a [String],
}

async fn get_stats(State(app): State<Arc<App>>, _: Authorized<VIEWER>) -> Response {
    let (events, segs, newest) = {
        let s = app.segments.lock().unwrap_or_else(|p| p.into_inner());
        (s.events, s.paths().len(), s.newest_ts)
    };
    let snap = snapshot(&app);
    let log = app.pass.lock().unwrap_or_else(|p| p.into_inner());
    Json(Stats {
        events_stored: events,
        segments: segs,
        compactions: app.compactions.load(Ordering::Relaxed),
        duplicates: app.duplicates.load(Ordering::Relaxed),
        accepted_batches: app.accepted_batches.load(Ordering::Relaxed),
        rejected_batches: app.rejected_batches.load(Ordering::Relaxed),
        newest_event_time: newest,
        pass_covered_event_time: snap.covered_ts,
        pass_events: snap.events,
        flagged: snap.flagged,
        pass_running: app.pass_running.load(Ordering::Relaxed),
        passes: &log,
        follow: lock(&app.follow_status).clone(),
        kafka: lock(&app.kafka_status).clone(),
        shadow: &app.cfg.shadow,
    })
    .into_response()
}

async fn get_metrics(State(app): State<Arc<App>>, _: Authorized<VIEWER>) -> Response {
    let (events, newest) = {
        let s = app.segments.lock().unwrap_or_else(|p| p.into_inner());
        (s.events, s.newest_ts)
    };
    let snap = snapshot(&app);
    let (passes, wall) = {
        let log = app.pass.lock().unwrap_or_else(|p| p.into_inner());
        (log.passes, log.last_wall_ms)
    };
    let lag_ms = match (newest, snap.covered_ts) {
        (Some(n), Some(c)) => n - c,
        (Some(_), None) => -1,
        _ => 0,
    };
    let text = format!(
        "# HELP lockstep_events_stored Events stored durably.\n# TYPE lockstep_events_stored gauge\nlockstep_events_stored {events}\n\
         # HELP lockstep_duplicates_total Events re-sent with a stored event_id since start.\n# TYPE lockstep_duplicates_total counter\nlockstep_duplicates_total {}\n\
         # HELP lockstep_rejected_batches_total Batches rejected for a bad row since start.\n# TYPE lockstep_rejected_batches_total counter\nlockstep_rejected_batches_total {}\n\
         # HELP lockstep_passes_total Detection passes since start.\n# TYPE lockstep_passes_total counter\nlockstep_passes_total {passes}\n\
         # HELP lockstep_last_pass_seconds Wall time of the last pass.\n# TYPE lockstep_last_pass_seconds gauge\nlockstep_last_pass_seconds {:.3}\n\
         # HELP lockstep_pass_lag_event_ms Newest stored event time minus the last pass's (-1: no pass yet).\n# TYPE lockstep_pass_lag_event_ms gauge\nlockstep_pass_lag_event_ms {lag_ms}\n\
         # HELP lockstep_flagged_accounts Accounts flagged by the last pass.\n# TYPE lockstep_flagged_accounts gauge\nlockstep_flagged_accounts {}\n",
        app.duplicates.load(Ordering::Relaxed),
        app.rejected_batches.load(Ordering::Relaxed),
        wall / 1e3,
        snap.flagged,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
