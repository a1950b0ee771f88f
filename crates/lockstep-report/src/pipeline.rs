//! The pipeline after reading, as one library call: store → detectors → fusion → honest
//! metrics ([`analyse`]) → every output file ([`write_outputs`]). The `lockstep detect`
//! command, the benchmarks and any other front end (a server, a Python binding) call these, so
//! the same events give the same bytes whichever way they came in.

use crate::metrics::{video_metrics, VideoMetrics};
use crate::WriteError;
use lockstep_core::EventStore;
use lockstep_detect::{Detection, Detector, DetectorId, FusionConfig};
use std::path::Path;
use std::time::{Duration, Instant};

/// What one run decided about a store, with the time each phase took.
pub struct Analysis {
    /// The events.
    pub store: EventStore,
    /// Findings, verdicts and groups.
    pub detection: Detection,
    /// Per-target raw and clean metrics.
    pub videos: Vec<VideoMetrics>,
    /// The detectors that ran, in registry order (for `groups.json`).
    pub detectors: Vec<DetectorId>,
    /// Detectors and fusion.
    pub detect_time: Duration,
    /// The honest per-video metrics.
    pub metrics_time: Duration,
}

/// Run `detectors` over `store`, fuse their findings with `cfg`, and compute the per-video
/// metrics.
pub fn analyse(store: EventStore, detectors: &[Box<dyn Detector>], cfg: &FusionConfig) -> Analysis {
    let t = Instant::now();
    let detection = lockstep_detect::detect(&store, detectors, cfg);
    let detect_time = t.elapsed();
    let t = Instant::now();
    let videos = video_metrics(&store, &detection);
    let metrics_time = t.elapsed();
    Analysis {
        detectors: detectors.iter().map(|d| d.id()).collect(),
        store,
        detection,
        videos,
        detect_time,
        metrics_time,
    }
}

/// Which outputs to write besides the four that are always written.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Also `accounts.parquet` and `videos.parquet`.
    pub parquet: bool,
    /// How the report names its input (file names).
    pub source: String,
}

/// Write `accounts.csv`, `groups.json`, `videos.csv` and `report.html` (and the Parquet files
/// when asked) into `dir`, which must exist. The files are independent and written side by
/// side; the first error in that order is returned.
pub fn write_outputs(a: &Analysis, dir: &Path, opts: &OutputOptions) -> Result<(), WriteError> {
    let (store, det) = (&a.store, &a.detection);
    let ranked = crate::ranked_accounts(store, det);
    let groups_doc = || crate::groups_json(store, det, &a.detectors);
    type Job<'a> = Box<dyn Fn() -> Result<(), WriteError> + Send + Sync + 'a>;
    let mut jobs: Vec<Job> = vec![
        Box::new(|| crate::write_accounts_csv(&dir.join("accounts.csv"), store, det, &ranked)),
        Box::new(|| crate::write_groups_json(&dir.join("groups.json"), &groups_doc())),
        Box::new(|| crate::write_videos_csv(&dir.join("videos.csv"), store, &a.videos)),
        Box::new(|| {
            crate::write_report_html(
                &dir.join("report.html"),
                store,
                det,
                &a.videos,
                &opts.source,
            )
        }),
    ];
    if opts.parquet {
        jobs.push(Box::new(|| {
            crate::write_accounts_parquet(&dir.join("accounts.parquet"), store, det, &ranked)
        }));
        jobs.push(Box::new(|| {
            crate::write_videos_parquet(&dir.join("videos.parquet"), store, &a.videos)
        }));
    }
    use rayon::prelude::*;
    let results: Vec<_> = jobs.par_iter().map(|job| job()).collect();
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{Action, EventStoreBuilder, TypedEvent};

    #[test]
    fn analyse_then_write_gives_every_output() {
        let mut b = EventStoreBuilder::new();
        for (i, acc) in ["a", "b", "c"].iter().enumerate() {
            b.push(&TypedEvent::new(1000 * i as i64, acc, Action::Like, "v1"))
                .unwrap();
        }
        let a = analyse(
            b.finish(),
            &lockstep_detect::registry(),
            &FusionConfig::default(),
        );
        assert_eq!(a.detectors.len(), lockstep_detect::registry().len());
        let dir = tempfile::tempdir().unwrap();
        write_outputs(
            &a,
            dir.path(),
            &OutputOptions {
                parquet: true,
                source: "test".into(),
            },
        )
        .unwrap();
        for f in [
            "accounts.csv",
            "groups.json",
            "videos.csv",
            "report.html",
            "accounts.parquet",
            "videos.parquet",
        ] {
            assert!(dir.path().join(f).metadata().unwrap().len() > 0, "{f}");
        }
    }
}
