#!/usr/bin/env bash
# Regenerate the README's quality table: simulate each scenario on several seeds, detect, eval.
# Usage: scripts/quality.sh [ACCOUNTS] [DAYS] [SEEDS...]   (defaults: 20000 1 1 2 3)
# SCENARIOS="crowds spread" picks scenarios (default: all seven); CREATORS=none|publish|column sets what the log records of creators (default publish).
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-20000}; days=${2:-1}; shift 2 2>/dev/null || true
seeds=${*:-1 2 3}
# LOCKSTEP_BIN: use this binary instead of building one (for long runs beside development);
# LOCKSTEP_SIM_BIN: simulate with this one (compare two builds on the same worlds).
if [ -n "${LOCKSTEP_BIN:-}" ]; then bin=$LOCKSTEP_BIN; else
  cargo build --release -q -p lockstep-cli
  bin=target/release/lockstep
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "| scenario | seed | events | AP | ROC-AUC | precision | recall | organic flagged | crowds flagged (trend/fandom/campus/live/circle/fan club) | like residual |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for sc in ${SCENARIOS:-classic stealth organic mixed crowds spread oneclient}; do
  for seed in $seeds; do
    ${LOCKSTEP_SIM_BIN:-$bin} simulate --scenario "$sc" --seed "$seed" --accounts "$accounts" --days "$days" --creators "${CREATORS:-publish}" --out "$work/ev.parquet" --labels "$work/l.csv" --truth "$work/t.csv" 2>/dev/null
    n=$($bin detect "$work/ev.parquet" --out "$work/out" -q --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
    $bin eval --labels "$work/l.csv" --scores "$work/out/accounts.csv" --truth "$work/t.csv" --videos "$work/out/videos.csv" --json |
      python3 -c '
import json, sys
e = json.load(sys.stdin); a = e["accounts"]; v = e["videos"]; t = a["by_tactic"]
crowd = " · ".join("%d/%d" % (t.get(k, {}).get("flagged", 0), t.get(k, {}).get("accounts", 0)) for k in ["trend", "fandom", "campus", "live", "circle", "fan_club"])
lr = "%.3f" % v["like_residual"] if v["inflated_videos"] else "–"
print("| %s | %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f%% | %s | %s |" % (sys.argv[1], sys.argv[2], sys.argv[3], a["average_precision"], a["roc_auc"], a["precision"], a["recall"], 100 * a["organic_flagged_share"], crowd, lr))
' "$sc" "$seed" "$n"
  done
done
