//! Golden outputs: `lockstep detect` on the shipped sample must write these exact bytes. A
//! refactor must leave them alone; a deliberate change to detection or output updates the pins
//! (run `LOCKSTEP_BLESS=1 cargo test -p lockstep-cli --test golden -- --nocapture` and paste the
//! printed lines), and says why in the commit.

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
    ("accounts.csv", 72345, 0x25a7e8a1da68c177),
    ("groups.json", 103167, 0xf4378c36f7326550),
    ("videos.csv", 147052, 0x5c0f817eacdfe082),
    ("report.html", 402252, 0xd4f2fe04fb6645c9),
    ("accounts.parquet", 26799, 0xff4ff2517ba9a965),
    ("videos.parquet", 56902, 0xf77cc78a7ffc4afe),
];

#[test]
fn sample_outputs_are_pinned() {
    let out = tempfile::tempdir().unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let status = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(root)
        .args([
            "detect",
            "examples/sample.csv.gz",
            "-q",
            "--parquet",
            "--out",
        ])
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
        got, PINNED,
        "outputs changed: bless them if the change is meant"
    );
}
