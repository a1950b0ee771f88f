//! Golden outputs: `lockstep detect` on the shipped sample must write these exact bytes. A
//! refactor must leave them alone; a deliberate change to detection or output updates the pins
//! (run `LOCKSTEP_BLESS=1 cargo test -p lockstep-cli --test golden -- --nocapture` and paste the
//! printed lines), and says why in the commit.

use std::path::Path;
use std::process::Command;

/// FNV-1a, 64 bits: a checksum that is the same on every platform and Rust release.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// (file, length, checksum) for `detect examples/sample.csv.gz --parquet`.
const PINNED: &[(&str, usize, u64)] = &[
    ("accounts.csv", 80235, 0x8bc81b2e6b6e9f81),
    ("groups.json", 102449, 0x1acfe79600788275),
    ("videos.csv", 147065, 0xca5d414a92d4c4c4),
    ("report.html", 408196, 0x663d8f93706829da),
    ("accounts.parquet", 26715, 0x85533f4fa8f45d36),
    ("videos.parquet", 56787, 0xbc3db44ee0087ee9),
];

/// (file, length, checksum) for `detect` on a 1.0M-event `mixed` log (`simulate --accounts 22000
/// --days 3 --seed 7`: 1,013,141 events) written by `simulate` as CSV.
const PINNED_1M: &[(&str, usize, u64)] = &[
    ("accounts.csv", 898150, 0x068f4851f9d5b0bc),
    ("groups.json", 1407852, 0x5c2fe0c1fde04fbf),
    ("videos.csv", 1547096, 0x6a74eefee43080cb),
    ("report.html", 4455486, 0x1859717ad7f24ce4),
    ("accounts.parquet", 250025, 0x17d740c6900cf42f),
    ("videos.parquet", 606295, 0x29c8574717a4a7ee),
];

/// Run `lockstep detect INPUT --parquet` in `cwd` and compare its outputs with `pinned`. The
/// input is named relative to `cwd`: the report prints its name.
fn check_detect(cwd: &Path, input: &str, pinned: &[(&str, usize, u64)]) {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(cwd)
        .args(["detect", input, "-q", "--parquet", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let files = [
        "accounts.csv",
        "groups.json",
        "videos.csv",
        "report.html",
        "accounts.parquet",
        "videos.parquet",
    ];
    let got: Vec<(&str, usize, u64)> = files
        .iter()
        .map(|f| {
            let b = std::fs::read(out.path().join(f)).unwrap();
            (*f, b.len(), fnv1a(&b))
        })
        .collect();
    if std::env::var_os("LOCKSTEP_BLESS").is_some() {
        for (f, n, h) in &got {
            println!("    (\"{f}\", {n}, 0x{h:016x}),");
        }
        return;
    }
    assert_eq!(
        got, pinned,
        "outputs of {input} changed: bless them if the change is meant"
    );
}

#[test]
fn sample_outputs_are_pinned() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    check_detect(root, "examples/sample.csv.gz", PINNED);
}

/// A million events reach paths the sample does not (large groups, cut-vertex splits, linked
/// cases, the parallel writers). Ignored by default (a minute in a debug build); CI runs it in
/// release: `cargo test --release -p lockstep-cli --test golden -- --ignored`.
#[test]
#[ignore = "1M events: run in release (CI does)"]
fn million_event_outputs_are_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir.path())
        .args([
            "simulate",
            "--scenario",
            "mixed",
            "--accounts",
            "22000",
            "--days",
            "3",
        ])
        .args(["--seed", "7", "--out", "mixed-1m.csv"])
        .status()
        .unwrap();
    assert!(status.success());
    check_detect(dir.path(), "mixed-1m.csv", PINNED_1M);
}
