//! The command line: every command and option (clap).

use clap::{Parser, Subcommand};
use lockstep_io::Format;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "lockstep",
    version,
    about = "Find fake engagement made by group-control (群控) phone farms in short-video event logs,\nexplain it, and recompute honest per-video metrics.",
    after_help = "Examples:\n  lockstep explain G1 --in out/\n  lockstep simulate --scenario mixed --seed 7 --accounts 20000 --out events.parquet --labels labels.csv --truth truth.csv\n  lockstep detect events.parquet --out out/\n  lockstep eval --labels labels.csv --scores out/accounts.csv --truth truth.csv --videos out/videos.csv\n\nExit codes: 0 ok · 1 failure · 2 usage · 3 input unreadable · 4 bad input data · 5 cannot write output"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Detect farm accounts and groups; write accounts.csv, groups.json, videos.csv, report.html.
    #[command(
        after_help = detect_help()
    )]
    Detect(DetectArgs),
    /// Write a synthetic event log with ground truth (organic traffic, hard negatives, farms).
    Simulate {
        /// classic, stealth, organic, mixed, crowds (organic crowds, no farms) or spread (many-client farms).
        #[arg(long, default_value = "mixed", value_parser = clap::builder::PossibleValuesParser::new(lockstep_sim::Scenario::NAMES))]
        scenario: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Events file (.csv, .jsonl, .parquet; .gz/.zst for text).
        #[arg(long, short)]
        out: String,
        /// labels.csv: account,label,farm,tactic.
        #[arg(long)]
        labels: Option<String>,
        /// truth.csv: per video organic and farm counts.
        #[arg(long)]
        truth: Option<String>,
        /// What the log records of each video's owner: `column` (a `creator` column on every
        /// video event), `publish` (only uploads inside the log, as `publish` events) or `none`.
        #[arg(long, default_value = "publish", value_parser = clap::builder::PossibleValuesParser::new(lockstep_sim::CreatorLog::NAMES))]
        creators: String,
        /// The same as `--creators column` (kept for scripts written before `--creators`).
        #[arg(long, hide = true, conflicts_with = "creators")]
        creator_column: bool,
    },
    /// Print the evidence for one group (G3) or account, from detect's output directory.
    #[command(
        after_help = "Examples:\n  lockstep explain G1 --in out/\n  lockstep explain u1a2b3c4d --in out/ --json"
    )]
    Explain {
        /// A group id (G1, G2, …) or an account.
        id: String,
        /// The directory `detect --out` wrote.
        #[arg(long = "in", value_name = "DIR")]
        dir: PathBuf,
        /// Print the group's JSON (or the account's row and its group) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Convert a public labelled dataset into events and labels.csv.
    #[command(
        after_help = "Examples:\n  lockstep convert --from movielens ../shared/data/movielens-small/ratings.csv --out ml.csv --labels ml-labels.csv\n  lockstep convert --from darpa ../shared/data/darpa/darpa_original.zip --out darpa.parquet --labels darpa-labels.csv\n  lockstep convert --from bitcoin-otc ../shared/data/bitcoin-otc --out otc.csv --labels otc-labels.csv\n  lockstep convert --from movielens ../shared/data/movielens-small/ratings.csv --inject-blocks 5 --inject-seed 3 --out ml-blocks.csv --labels ml-blocks-labels.csv"
    )]
    Convert {
        /// yelp, darpa, vews, bitcoin-otc or movielens.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(lockstep_datasets::Dataset::NAMES))]
        from: String,
        /// The dataset file (or folder, for bitcoin-otc).
        input: String,
        /// Events file (.csv, .jsonl, .parquet; .gz/.zst for text).
        #[arg(long, short)]
        out: String,
        /// labels.csv to write.
        #[arg(long)]
        labels: String,
        /// Also write one label per event (0/1, one a line, in output order) where the dataset has them (darpa).
        #[arg(long)]
        event_labels: Option<String>,
        /// Inject this many fraud blocks with camouflage into the rating graph, following
        /// FRAUDAR's protocol (movielens, bitcoin-otc); their accounts are labelled bad, with
        /// the block as `farm` and `injected_block` as tactic.
        #[arg(long, default_value_t = 0)]
        inject_blocks: usize,
        /// Seed the injected blocks' sizes, densities, camouflage and spans are drawn from.
        #[arg(long, default_value_t = 1)]
        inject_seed: u64,
    },
    /// Write a MIDAS-R burst score for every event (account → target), one a line, in time order.
    #[command(
        after_help = "Example:\n  lockstep score-events darpa.parquet --out darpa-scores.txt --tick-ms 60000"
    )]
    ScoreEvents {
        events: String,
        #[arg(long, short)]
        out: String,
        /// Tick length in ms (the reference uses 1-minute ticks on DARPA).
        #[arg(long, default_value_t = 60_000)]
        tick_ms: i64,
        #[arg(long, default_value_t = 2)]
        rows: usize,
        #[arg(long, default_value_t = 1024)]
        buckets: usize,
        #[arg(long, default_value_t = 0.5)]
        decay: f64,
        /// MIDAS-F: slots whose events scored at or above this in a tick do not teach the
        /// history (the reference's figure on DARPA uses 1000). Default: MIDAS-R.
        #[arg(long)]
        filter_threshold: Option<f64>,
    },
    /// Live mode: take events over HTTP, store them durably, detect as event time advances,
    /// serve accounts, clean per-video metrics and cases.
    #[command(
        after_help = "Tokens file: one `ROLE TOKEN [NAME]` per line; roles ingest, viewer, analyst, admin.\n\nExamples:\n  lockstep serve --data live/ --listen 127.0.0.1:8080 --tokens tokens.txt\n  curl -H 'Authorization: Bearer $TOKEN' -H 'Content-Type: application/x-ndjson' --data-binary @batch.jsonl http://127.0.0.1:8080/v1/events\n  curl -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:8080/v1/videos/v123\n  lockstep detect live/segments/*.parquet --out out/   # the stored events, as files"
    )]
    Serve {
        /// Data directory: Parquet segments and pass state (created if missing; a restart resumes from it).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Address to listen on (port 0 picks a free port; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
        listen: String,
        /// Tokens file (`ROLE TOKEN [NAME]` per line).
        #[arg(long, value_name = "FILE")]
        tokens: PathBuf,
        /// Largest request body in MiB (larger ones get 413).
        #[arg(long, default_value_t = 64)]
        max_body_mib: usize,
        /// Run a detection pass each time event time advances this many minutes.
        #[arg(long, default_value_t = 5)]
        pass_every_minutes: i64,
        /// Periodic passes look back this many hours of event time (flush reads everything).
        #[arg(long, default_value_t = 72)]
        horizon_hours: i64,
        /// Ingest batches handled at once (more get 503 with Retry-After).
        #[arg(long, default_value_t = 4)]
        ingest_slots: usize,
        /// Days of event time a false-positive verdict keeps its evidence from flagging the
        /// case's members again.
        #[arg(long, default_value_t = 7)]
        suppress_days: i64,
        /// Detectors in shadow mode (comma-separated): they score and open cases, but the clean
        /// counters are computed as if they had not run.
        #[arg(long, value_delimiter = ',')]
        shadow: Vec<String>,
        /// Also tail this growing .csv / .jsonl file into the store (resumes after a restart).
        #[arg(long, value_name = "FILE")]
        follow: Option<PathBuf>,
        /// Also consume NDJSON events from Kafka at these brokers (builds with `--features
        /// kafka` only); offsets are committed once the events are durable.
        #[arg(long, value_name = "HOST:PORT[,...]", requires = "kafka_topic")]
        kafka_brokers: Option<String>,
        /// The Kafka topic to consume.
        #[arg(long, value_name = "TOPIC", requires = "kafka_brokers")]
        kafka_topic: Option<String>,
        /// The Kafka consumer group (its committed offsets are where a restart resumes).
        #[arg(long, value_name = "GROUP", default_value = "lockstep")]
        kafka_group: String,
    },
    /// Fit the evidence → score calibration (isotonic regression) on labelled runs and print
    /// its knots as JSON (for `detect --calibration`).
    #[command(
        after_help = "Example:\n  lockstep calibrate --run labels1.csv=out1/accounts.csv --run labels2.csv=out2/accounts.csv > knots.json\n  lockstep detect day.parquet --out out/ --calibration knots.json"
    )]
    Calibrate {
        /// LABELS=ACCOUNTS: a labels.csv and the accounts.csv `detect` wrote for the same log
        /// (repeat for several runs; they are pooled).
        #[arg(long = "run", required = true)]
        runs: Vec<String>,
        /// Equal-width evidence bins before pooling.
        #[arg(long, default_value_t = 40)]
        bins: usize,
    },
    /// Judge detect's output against labels (and per-video truth): AP, precision, recall,
    /// residual fake engagement.
    Eval {
        /// labels.csv (columns account and label, optionally farm and tactic) from `simulate` or `convert`.
        #[arg(long)]
        labels: String,
        /// accounts.csv written by detect.
        #[arg(long)]
        scores: String,
        #[arg(long, requires = "videos")]
        truth: Option<String>,
        /// videos.csv written by detect.
        #[arg(long, requires = "truth")]
        videos: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("unknown format {s:?} (csv, jsonl, parquet)"))
}

#[derive(clap::Args)]
pub(crate) struct DetectArgs {
    /// Event files (CSV, JSONL, Parquet; .gz/.zst; `-` for stdin). Several are read as one log.
    #[arg(required = true)]
    pub events: Vec<String>,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Input format, when the file name does not tell (csv, jsonl, parquet).
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// Skip up to N bad rows (counted and reported) instead of failing on the first.
    #[arg(long, default_value_t = 0)]
    pub max_bad_rows: u64,
    /// Flag accounts whose calibrated score is at or above this. Default: flag on the fused
    /// evidence ≥ 0.5 (score ≈ 0.77), which keeps hard negatives unflagged in organic worlds.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Run only these detectors (comma-separated ids, e.g. `lockstep,dense_blocks`); all by
    /// default. For ablations: scores then come from the chosen detectors alone.
    #[arg(long, value_delimiter = ',')]
    pub detectors: Vec<String>,
    /// Evidence → score knots as JSON (`lockstep calibrate` writes them), or `none` for the raw
    /// evidence. Default: the knots fitted on held-out simulator runs.
    #[arg(long)]
    pub calibration: Option<String>,
    /// Also write accounts.parquet and videos.parquet: the CSVs' rows with typed columns
    /// (unrounded floats, booleans, nulls), for notebooks and warehouses.
    #[arg(long)]
    pub parquet: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `detect --help`'s epilogue, from the column table (a new column shows up by itself).
fn detect_help() -> String {
    use lockstep_core::{COLUMNS, REQUIRED_COLUMNS};
    let optional: Vec<&str> = COLUMNS[REQUIRED_COLUMNS.len()..].to_vec();
    format!(
        "Input columns: {} (ts: epoch ms or RFC 3339; action: view|like|comment|share|follow|dm|publish|login);\noptional {}. Extra columns are ignored.{}",
        REQUIRED_COLUMNS.join(", "),
        optional.join(", "),
        "\n\nExamples:\n  lockstep detect day.csv.gz --out out/\n  zcat day.jsonl.gz | lockstep detect - --format jsonl --out out/ --max-bad-rows 100"
    )
}
