//! Converters from the public labelled datasets (see `shared/data/README.md`) to lockstep's event
//! schema plus `labels.csv` (`account,label,farm,tactic`, label 1 = the dataset's bad actor).
//!
//! | dataset | events | account label |
//! |---|---|---|
//! | Yelp (Chi/NYC/Zip) `metadata.gz` | a review = `like` of the product at the review day, `rating` its stars, `creator` the product (a business owns its page) | 1 if any of the user's reviews was filtered |
//! | DARPA 1998 `darpa_original.zip` | a connection = `view` of the destination IP at the minute | 1 if any connection from the source IP is an attack |
//! | VEWS `vews_v1.1.tar.gz` | an edit = `comment` on the page at its second | `users.tsv`: vandal = 1 |
//! | Bitcoin-OTC `otc_network.csv` | a rating = `follow` of the rated node at its time, `rating` −10…10 | `otc_gt.csv`: −1 = 1, +1 = 0 (others unlabelled) |
//! | MovieLens `ratings.csv` | a rating = `like` of the movie at its second, `rating` 0.5…5 | all 0 (organic) |
//! | Higgs Twitter `higgs-activity_time.txt.gz` | A retweeted B = `share` of account B, a reply or mention = `comment` on B, at its second | all 0 (a real organic crowd, unlabelled) |
//!
//! Rows that cannot be converted are skipped, counted and reported with their first examples
//! (DARPA has ten rows dated `07/32/1998`); nothing is dropped silently.

pub mod inject;

use lockstep_core::{Action, TypedEvent};
use lockstep_io::{EventWriter, WriteError};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A row did not have the dataset's format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What was wrong, with the line.
        message: String,
    },
    /// The converted events could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Which dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// Yelp reviews with filtered (fake) labels.
    Yelp,
    /// DARPA intrusion-detection connections.
    Darpa,
    /// VEWS: Wikipedia vandals' edits.
    Vews,
    /// Bitcoin-OTC trust ratings.
    BitcoinOtc,
    /// MovieLens ratings (no fakes: a false-positive check).
    Movielens,
    /// Higgs Twitter activity (an organic crowd).
    Higgs,
}

impl Dataset {
    /// Names accepted by [`Dataset::parse`], as `convert --from` takes them.
    pub const NAMES: [&'static str; 6] =
        ["yelp", "darpa", "vews", "bitcoin-otc", "movielens", "higgs"];
    /// The dataset with this name, if any.
    pub fn parse(s: &str) -> Option<Dataset> {
        Some(match s {
            "yelp" => Dataset::Yelp,
            "darpa" => Dataset::Darpa,
            "vews" => Dataset::Vews,
            "bitcoin-otc" => Dataset::BitcoinOtc,
            "movielens" => Dataset::Movielens,
            "higgs" => Dataset::Higgs,
            _ => return None,
        })
    }
}

/// What a conversion did.
#[derive(Debug, Clone, Default)]
pub struct ConvertReport {
    /// Events written.
    pub events: u64,
    /// Source rows skipped (counted, with examples).
    pub skipped: u64,
    /// First skipped rows: "line N: reason (value)".
    pub examples: Vec<String>,
    /// account → label (BTreeMap: written sorted).
    pub labels: BTreeMap<String, u8>,
    /// Per converted event, in output order, where the dataset labels events (DARPA).
    pub event_labels: Vec<u8>,
    /// Injected fake accounts (see [`inject`]) → their block's name, the `farm` column.
    pub farms: BTreeMap<String, String>,
    /// The blocks injected, as drawn.
    pub injected: Vec<inject::InjectedBlock>,
}

impl ConvertReport {
    fn skip(&mut self, line: u64, reason: &str, value: &str) {
        self.skipped += 1;
        if self.examples.len() < 5 {
            self.examples
                .push(format!("line {line}: {reason} ({value:?})"));
        }
    }

    fn label(&mut self, account: &str, bad: bool) {
        let e = self.labels.entry(account.to_string()).or_insert(0);
        *e = (*e).max(bad as u8);
    }

    /// Write `labels.csv`.
    pub fn write_labels(&self, path: &str) -> Result<(), ConvertError> {
        let io = |e: csv::Error| ConvertError::Io {
            path: path.into(),
            source: std::io::Error::other(e),
        };
        let mut w = csv::Writer::from_path(path).map_err(io)?;
        w.write_record(["account", "label", "farm", "tactic"])
            .map_err(io)?;
        for (a, l) in &self.labels {
            let farm = self.farms.get(a).map_or("", |f| f.as_str());
            w.write_record([
                a.as_str(),
                if *l == 1 { "1" } else { "0" },
                farm,
                if !farm.is_empty() {
                    "injected_block"
                } else if *l == 1 {
                    "labelled_bad"
                } else {
                    "labelled_good"
                },
            ])
            .map_err(io)?;
        }
        w.flush().map_err(|source| ConvertError::Io {
            path: path.into(),
            source,
        })
    }
}

fn io_err(path: &str) -> impl Fn(std::io::Error) -> ConvertError + '_ {
    move |source| ConvertError::Io {
        path: path.into(),
        source,
    }
}

fn event<'a>(ts: i64, account: &'a str, action: Action, target: &'a str) -> TypedEvent<'a> {
    TypedEvent::new(ts, account, action, target)
}

/// A rating field: a finite number, or the row is bad.
fn rating(s: &str) -> Option<f32> {
    s.trim().parse::<f32>().ok().filter(|r| r.is_finite())
}

fn day_ms(d: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Convert `input` (a file, or the dataset's folder for VEWS/Bitcoin-OTC) into `out`.
pub fn convert(
    dataset: Dataset,
    input: &str,
    out: &mut dyn EventWriter,
) -> Result<ConvertReport, ConvertError> {
    convert_with(dataset, input, out, None)
}

/// The datasets [`convert_with`] can inject blocks into: the user–item rating graphs.
pub const INJECTABLE: [&str; 2] = ["movielens", "bitcoin-otc"];

/// As [`convert`], with FRAUDAR-protocol blocks injected into a rating graph (see [`inject`];
/// MovieLens and Bitcoin-OTC; `None` for the others).
pub fn convert_with(
    dataset: Dataset,
    input: &str,
    out: &mut dyn EventWriter,
    injection: Option<inject::Injection>,
) -> Result<ConvertReport, ConvertError> {
    match dataset {
        Dataset::Yelp => yelp(input, out),
        Dataset::Darpa => darpa(input, out),
        Dataset::Vews => vews(input, out),
        Dataset::BitcoinOtc => bitcoin_otc(input, out, injection),
        Dataset::Movielens => movielens(input, out, injection),
        Dataset::Higgs => higgs(input, out),
    }
}

/// Inject `injection`'s blocks into `rows` and label their accounts bad.
fn inject_into(
    rows: &mut Vec<(i64, String, String, f32)>,
    injection: Option<inject::Injection>,
    rep: &mut ConvertReport,
) {
    if let Some(inj) = injection {
        rep.injected = inject::inject_blocks(rows, inj, &mut rep.farms);
        let fake: Vec<String> = rep.farms.keys().cloned().collect();
        for a in fake {
            rep.label(&a, true);
        }
    }
}

fn open_text(path: &str) -> Result<Box<dyn BufRead>, ConvertError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    Ok(if path.ends_with(".gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
    } else {
        Box::new(BufReader::new(f))
    })
}

/// `user product rating label date`, space- or tab-separated.
fn yelp(path: &str, out: &mut dyn EventWriter) -> Result<ConvertReport, ConvertError> {
    let mut rep = ConvertReport::default();
    for (i, line) in open_text(path)?.lines().enumerate() {
        let line = line.map_err(io_err(path))?;
        let n = i as u64 + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 {
            rep.skip(n, "expected 5 fields", &line);
            continue;
        }
        let Some(ts) = day_ms(f[4]) else {
            rep.skip(n, "bad date", f[4]);
            continue;
        };
        let Some(stars) = rating(f[2]) else {
            rep.skip(n, "bad rating", f[2]);
            continue;
        };
        let (user, product) = (format!("u{}", f[0]), format!("p{}", f[1]));
        out.write(&TypedEvent {
            rating: Some(stars),
            // A business owns its page: each product is its own creator.
            creator: Some(&product),
            ..event(ts, &user, Action::Like, &product)
        })?;
        rep.events += 1;
        rep.label(&user, f[3] == "-1");
    }
    Ok(rep)
}

/// `src_ip,dst_ip,MM/DD/YYYY-HH:MM,label` inside a zip.
fn darpa(path: &str, out: &mut dyn EventWriter) -> Result<ConvertReport, ConvertError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| ConvertError::Format {
        path: path.into(),
        message: e.to_string(),
    })?;
    let entry = zip.by_index(0).map_err(|e| ConvertError::Format {
        path: path.into(),
        message: e.to_string(),
    })?;
    let mut rep = ConvertReport::default();
    for (i, line) in BufReader::new(entry).lines().enumerate() {
        let line = line.map_err(io_err(path))?;
        let n = i as u64 + 1;
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 4 {
            rep.skip(n, "expected 4 fields", &line);
            continue;
        }
        let ts = chrono::NaiveDateTime::parse_from_str(f[2], "%m/%d/%Y-%H:%M")
            .ok()
            .map(|d| d.and_utc().timestamp_millis());
        let Some(ts) = ts else {
            rep.skip(n, "invalid date", f[2]);
            continue;
        };
        out.write(&event(ts, f[0], Action::View, f[1]))?;
        rep.events += 1;
        rep.label(f[0], f[3] != "-");
        rep.event_labels.push((f[3] != "-") as u8);
    }
    Ok(rep)
}

/// Monthly `benign_*.csv` / `vandal_*.csv` and `users.tsv` inside a tar.gz.
fn vews(path: &str, out: &mut dyn EventWriter) -> Result<ConvertReport, ConvertError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut rep = ConvertReport::default();
    let mut edits: Vec<(i64, String, String)> = Vec::new();
    let mut users: Vec<(String, bool)> = Vec::new();
    for entry in archive.entries().map_err(io_err(path))? {
        let mut entry = entry.map_err(io_err(path))?;
        let name = entry
            .path()
            .map_err(io_err(path))?
            .to_string_lossy()
            .into_owned();
        let base = name.rsplit('/').next().unwrap_or("").to_string();
        let mut text = String::new();
        if !(base.ends_with(".csv") || base == "users.tsv") {
            continue;
        }
        entry.read_to_string(&mut text).map_err(io_err(path))?;
        if base == "users.tsv" {
            for line in text.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() >= 5 && f[0] != "username" {
                    users.push((f[0].to_string(), f[4] == "vandal"));
                }
            }
            continue;
        }
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            // username,revid,revtime,pagetitle,isReverted,revertTime,cluebotRevert,stiki_score,
            // stiki_REP_USER — user names and titles may hold commas: the time is the first
            // RFC 3339 field after the user name and id, the title runs up to the last five.
            let n = i as u64 + 1;
            let at = (2..f.len().saturating_sub(5))
                .find(|&k| chrono::DateTime::parse_from_rfc3339(f[k]).is_ok());
            let Some(k) = at else {
                rep.skip(n, &format!("{base}: no revtime"), line);
                continue;
            };
            let ts = chrono::DateTime::parse_from_rfc3339(f[k])
                .map(|d| d.timestamp_millis())
                .unwrap_or(0);
            let user = f[..k - 1].join(",");
            let title = f[k + 1..f.len() - 5].join(",");
            edits.push((ts, user, title));
        }
    }
    edits.sort();
    for (ts, user, title) in &edits {
        out.write(&event(*ts, user, Action::Comment, title))?;
        rep.events += 1;
    }
    for (u, vandal) in users {
        rep.label(&u, vandal);
    }
    Ok(rep)
}

/// Higgs Twitter activity (`userA userB unix_seconds RT|MT|RE`, gzip): the world reacting to one
/// announcement. Both users become accounts `u<id>`, so the target of a retweet or reply is an
/// account and counts as its own creator. Every acting user is labelled 0.
fn higgs(path: &str, out: &mut dyn EventWriter) -> Result<ConvertReport, ConvertError> {
    let mut rep = ConvertReport::default();
    let mut rows: Vec<(i64, String, Action, String)> = Vec::new();
    for (i, line) in open_text(path)?.lines().enumerate() {
        let line = line.map_err(io_err(path))?;
        let f: Vec<&str> = line.split_whitespace().collect();
        let ts = f.get(2).and_then(|t| t.parse::<i64>().ok());
        let action = match f.get(3).copied() {
            Some("RT") => Some(Action::Share),
            Some("RE" | "MT") => Some(Action::Comment),
            _ => None,
        };
        match (f.len() == 4, ts, action) {
            (true, Some(t), Some(a)) => {
                rows.push((t * 1000, format!("u{}", f[0]), a, format!("u{}", f[1])))
            }
            _ => rep.skip(
                i as u64 + 1,
                "expected userA userB unix_seconds RT|MT|RE",
                &line,
            ),
        }
    }
    rows.sort();
    for (ts, account, action, target) in &rows {
        out.write(&event(*ts, account, *action, target))?;
        rep.events += 1;
        rep.label(account, false);
    }
    Ok(rep)
}

/// `otc_network.csv` (`rater,ratee,rating,unix_time`) and `otc_gt.csv` beside it.
fn bitcoin_otc(
    path: &str,
    out: &mut dyn EventWriter,
    injection: Option<inject::Injection>,
) -> Result<ConvertReport, ConvertError> {
    let dir = std::path::Path::new(path);
    let (net, gt) = if dir.is_dir() {
        (dir.join("otc_network.csv"), dir.join("otc_gt.csv"))
    } else {
        (dir.to_path_buf(), dir.with_file_name("otc_gt.csv"))
    };
    let net_s = net.display().to_string();
    let mut rep = ConvertReport::default();
    let mut rows: Vec<(i64, String, String, f32)> = Vec::new();
    for (i, line) in open_text(&net_s)?.lines().enumerate() {
        let line = line.map_err(io_err(&net_s))?;
        let f: Vec<&str> = line.split(',').collect();
        let ts = f.get(3).and_then(|t| t.trim().parse::<f64>().ok());
        match (f.len() >= 4, ts, f.get(2).and_then(|r| rating(r))) {
            (true, Some(t), Some(r)) => rows.push((
                (t * 1000.0) as i64,
                format!("n{}", f[0]),
                format!("n{}", f[1]),
                r,
            )),
            _ => rep.skip(i as u64 + 1, "expected rater,ratee,rating,unix_time", &line),
        }
    }
    inject_into(&mut rows, injection, &mut rep);
    write_ratings(&mut rows, Action::Follow, out, &mut rep)?;
    let gt_s = gt.display().to_string();
    for (i, line) in open_text(&gt_s)?.lines().enumerate() {
        let line = line.map_err(io_err(&gt_s))?;
        match line.split_once(',') {
            Some((node, "-1")) => rep.label(&format!("n{node}"), true),
            Some((node, "+1" | "1")) => rep.label(&format!("n{node}"), false),
            _ => rep.skip(i as u64 + 1, "otc_gt.csv: expected node,±1", &line),
        }
    }
    Ok(rep)
}

/// Rated events `(ts, account, target, rating)` in time order (then account, target: files list
/// them by rater), written as `action`.
fn write_ratings(
    rows: &mut [(i64, String, String, f32)],
    action: Action,
    out: &mut dyn EventWriter,
    rep: &mut ConvertReport,
) -> Result<(), ConvertError> {
    rows.sort_by(|x, y| (x.0, &x.1, &x.2).cmp(&(y.0, &y.1, &y.2)));
    for (ts, account, target, r) in rows.iter() {
        out.write(&TypedEvent {
            rating: Some(*r),
            ..event(*ts, account, action, target)
        })?;
        rep.events += 1;
    }
    Ok(())
}

/// `ratings.csv`: `userId,movieId,rating,timestamp` (seconds).
fn movielens(
    path: &str,
    out: &mut dyn EventWriter,
    injection: Option<inject::Injection>,
) -> Result<ConvertReport, ConvertError> {
    let mut rep = ConvertReport::default();
    let mut rows: Vec<(i64, String, String, f32)> = Vec::new();
    for (i, line) in open_text(path)?.lines().enumerate().skip(1) {
        let line = line.map_err(io_err(path))?;
        let f: Vec<&str> = line.split(',').collect();
        match (
            f.len() >= 4,
            f.get(3).and_then(|t| t.trim().parse::<i64>().ok()),
            f.get(2).and_then(|r| rating(r)),
        ) {
            (true, Some(t), Some(r)) => {
                rows.push((t * 1000, format!("u{}", f[0]), format!("m{}", f[1]), r))
            }
            _ => rep.skip(
                i as u64 + 1,
                "expected userId,movieId,rating,timestamp",
                &line,
            ),
        }
    }
    inject_into(&mut rows, injection, &mut rep);
    write_ratings(&mut rows, Action::Like, out, &mut rep)?;
    for (_, u, _, _) in &rows {
        rep.label(u, false);
    }
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::EventStoreBuilder;

    #[test]
    fn yelp_lines_and_a_bad_date_are_counted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("metadata");
        std::fs::write(&p, "1 10 5.0 -1 2014-12-08\n2 10 3.0 1 2013-05-16\n1 11 4.0 1 2014-12-09\n3 10 1.0 1 2014-13-40\n").unwrap();
        let mut b = EventStoreBuilder::new();
        let rep = convert(Dataset::Yelp, p.to_str().unwrap(), &mut b).unwrap();
        assert_eq!((rep.events, rep.skipped), (3, 1));
        assert!(rep.examples[0].contains("line 4") && rep.examples[0].contains("2014-13-40"));
        assert_eq!(rep.labels["u1"], 1);
        assert_eq!(rep.labels["u2"], 0);
        let s = b.finish();
        assert_eq!(s.len(), 3);
        assert_eq!(s.ts[0], day_ms("2013-05-16").unwrap());
    }

    #[test]
    fn higgs_retweets_are_shares_of_accounts_and_bad_rows_are_counted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("higgs.txt");
        std::fs::write(
            &p,
            "376989 50329 1341101181 RT\n223789 213163 1341100972 MT\n1 2 x RT\n3 4 5 LIKE\n",
        )
        .unwrap();
        let mut b = EventStoreBuilder::new();
        let rep = convert(Dataset::Higgs, p.to_str().unwrap(), &mut b).unwrap();
        assert_eq!((rep.events, rep.skipped), (2, 2));
        assert_eq!(rep.labels.len(), 2);
        let s = b.finish();
        // Written in time order: the mention (earlier) first.
        assert_eq!(s.ts[0], 1_341_100_972_000);
        assert_eq!(s.action(0), Action::Comment);
        assert_eq!(s.targets.name(s.target[1]), "u50329");
        assert_eq!(s.action(1), Action::Share);
    }

    #[test]
    fn movielens_and_bitcoin_otc() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ratings.csv");
        std::fs::write(
            &p,
            "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n",
        )
        .unwrap();
        let mut b = EventStoreBuilder::new();
        let rep = convert(Dataset::Movielens, p.to_str().unwrap(), &mut b).unwrap();
        assert_eq!((rep.events, rep.skipped, rep.labels.len()), (2, 0, 1));
        std::fs::write(
            d.path().join("otc_network.csv"),
            "6,2,4,1289241911.72836\n6,5,2,1289241941.5\nbad\n",
        )
        .unwrap();
        std::fs::write(d.path().join("otc_gt.csv"), "6,-1\n2,+1\n").unwrap();
        let mut b = EventStoreBuilder::new();
        let rep = convert(Dataset::BitcoinOtc, d.path().to_str().unwrap(), &mut b).unwrap();
        assert_eq!((rep.events, rep.skipped), (2, 1));
        assert_eq!((rep.labels["n6"], rep.labels["n2"]), (1, 0));
        assert_eq!(b.finish().ts[0], 1_289_241_911_728);
    }
}
