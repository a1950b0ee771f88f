#!/usr/bin/env bash
# Refit the default evidence → score calibration (DEFAULT_KNOTS in crates/lockstep-detect/src/fusion.rs)
# on held-out simulator runs: the `mixed` scenario, seeds 101–103 at 6,000, 20,000 and 65,000 accounts —
# never the seeds the README reports. Prints the knots JSON (`lockstep detect --calibration` reads it).
# Usage: scripts/calibrate.sh [SEEDS...]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${*:-101 102 103}
cargo build --release -q -p lockstep-cli
bin=target/release/lockstep
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
runs=()
for n in 6000 20000 65000; do
  for s in $seeds; do
    $bin simulate --scenario mixed --seed "$s" --accounts "$n" --out "$work/ev_${n}_$s.parquet" --labels "$work/l_${n}_$s.csv" 2>/dev/null
    $bin detect "$work/ev_${n}_$s.parquet" --out "$work/out_${n}_$s" -q --calibration none
    runs+=(--run "$work/l_${n}_$s.csv=$work/out_${n}_$s/accounts.csv")
  done
done
$bin calibrate "${runs[@]}"
