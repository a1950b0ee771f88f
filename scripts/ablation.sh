#!/usr/bin/env bash
# Regenerate the README's ablation table: each detector alone and each removed, on `crowds`,
# `spread` and `oneclient` (3 days: their farms need days) and `mixed`, mean over seeds.
# Usage: scripts/ablation.sh [ACCOUNTS] [SEEDS...]   (defaults: 20000 1 2 3)
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-20000}; shift 1 2>/dev/null || true
seeds=${*:-1 2 3}
if [ -n "${LOCKSTEP_BIN:-}" ]; then bin=$LOCKSTEP_BIN; else
  cargo build --release -q -p lockstep-cli
  bin=target/release/lockstep
fi
all="shared_infra lockstep template_comments dense_blocks synchrony fanout_dm scheduled_publish scripted rating_behaviour client_push item_blocks"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for sc in crowds spread mixed oneclient; do
  days=1; { [ "$sc" = spread ] || [ "$sc" = oneclient ]; } && days=3
  for seed in $seeds; do
    $bin simulate --scenario "$sc" --seed "$seed" --accounts "$accounts" --days "$days" \
      --out "$work/$sc-$seed.parquet" --labels "$work/$sc-$seed.labels.csv" --truth "$work/$sc-$seed.truth.csv" 2>/dev/null
  done
done
run() { # run NAME DETECTORS: one line of JSON per scenario and seed
  local name=$1 dets=$2
  for sc in crowds spread mixed oneclient; do
    for seed in $seeds; do
      $bin detect "$work/$sc-$seed.parquet" --detectors "$dets" --out "$work/out" -q
      $bin eval --labels "$work/$sc-$seed.labels.csv" --scores "$work/out/accounts.csv" \
        --truth "$work/$sc-$seed.truth.csv" --videos "$work/out/videos.csv" --json |
        python3 -c 'import json,sys; e=json.load(sys.stdin); e["run"]=sys.argv[1]; e["scenario"]=sys.argv[2]; print(json.dumps(e))' "$name" "$sc"
    done
  done
}
{
  run "all eleven" "${all// /,}"
  for d in $all; do run "only $d" "$d"; done
  for d in $all; do run "without $d" "$(echo $all | tr ' ' '\n' | grep -vx "$d" | paste -sd,)"; done
} > "$work/runs.jsonl"
python3 - "$work/runs.jsonl" <<'PY'
import json, sys
from collections import OrderedDict, defaultdict
rows = OrderedDict()
for line in open(sys.argv[1]):
    e = json.loads(line); a = e["accounts"]; v = e["videos"]
    rows.setdefault(e["run"], defaultdict(list))[e["scenario"]].append(
        (a["organic_flagged_share"], a["average_precision"], a["recall"], a["precision"],
         v["like_residual"] if v["inflated_videos"] else float("nan")))
mean = lambda xs: sum(xs) / len(xs)
print("| detectors | crowds: organic flagged | spread: AP | spread: recall | spread: like residual | mixed: AP | mixed: precision | mixed: recall | oneclient: AP | oneclient: recall |")
print("|---|---|---|---|---|---|---|---|---|---|")
for run, by in rows.items():
    c, s, m, o = by["crowds"], by["spread"], by["mixed"], by["oneclient"]
    print("| %s | %.3f%% | %.3f | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f | %.2f |" % (
        run, 100 * mean([x[0] for x in c]), mean([x[1] for x in s]), mean([x[2] for x in s]),
        mean([x[4] for x in s]), mean([x[1] for x in m]), mean([x[3] for x in m]), mean([x[2] for x in m]),
        mean([x[1] for x in o]), mean([x[2] for x in o])))
PY
