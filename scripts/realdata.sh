#!/usr/bin/env bash
# Run lockstep on the public labelled datasets and print account-level figures.
# Usage: scripts/realdata.sh [DATA_DIR] [WORK_DIR]   (defaults: ../shared/data, a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
if [ -n "${LOCKSTEP_BIN:-}" ]; then bin=$LOCKSTEP_BIN; else
  cargo build --release -q -p lockstep-cli
  bin=target/release/lockstep
fi
row() { # name events labels [min_events]
  $bin detect "$2" --out "$work/out-$1" -q --json > "$work/$1.summary.json"
  python3 - "$1" "$3" "$work/out-$1/accounts.csv" "${4:-1}" "$work/$1.summary.json" <<'PY'
import csv, json, sys
name, labels_path, scores_path, min_events, summary = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.load(open(sys.argv[5]))
scores = {r["account"]: r for r in csv.DictReader(open(scores_path))}
rows = []
for r in csv.DictReader(open(labels_path)):
    s = scores.get(r["account"])
    n = int(s["events"]) if s else 0
    if n >= min_events:
        # Rank by score, ties broken by the raw evidence (scores are rounded to 4 decimals).
        key = float(s["score"]) + float(s.get("evidence") or 0) * 1e-7 if s else 0.0
        rows.append((key, s is not None and s["flagged"] == "1", r["label"] == "1"))
def ap(rows):
    pos = sum(y for _, _, y in rows)
    if not pos: return float("nan")
    rows = sorted(rows, key=lambda r: -r[0]); tp = fp = 0; out = 0.0; last = 0.0; i = 0
    while i < len(rows):
        s = rows[i][0]
        while i < len(rows) and rows[i][0] == s:
            tp += rows[i][2]; fp += not rows[i][2]; i += 1
        rec = tp / pos; out += (rec - last) * tp / (tp + fp); last = rec
    return out
def auc(rows):
    pos = sum(y for _, _, y in rows); neg = len(rows) - pos
    if not pos or not neg: return float("nan")
    srt = sorted(rows, key=lambda r: r[0]); rank = 0.0; i = 0
    while i < len(srt):
        j = i
        while j < len(srt) and srt[j][0] == srt[i][0]: j += 1
        rank += (i + 1 + j) / 2 * sum(r[2] for r in srt[i:j]); i = j
    return (rank - pos * (pos + 1) / 2) / (pos * neg)
flagged = [r for r in rows if r[1]]
tp = sum(r[2] for r in flagged); pos = sum(r[2] for r in rows); neg = len(rows) - pos
prec = tp / len(flagged) if flagged else 0.0
print("| %s%s | %d | %d | %.3f | %.3f | %.3f | %d | %.3f | %.2f%% | %.1f s |" % (
    name, "" if min_events == 1 else " (≥%d events)" % min_events, len(rows), pos, pos / max(len(rows), 1), ap(rows), auc(rows),
    len(flagged), prec, 100 * (len(flagged) - tp) / max(neg, 1), summary["wall_s"]))
PY
}
conv() { # name from input
  [ -s "$work/$1.parquet" ] || $bin convert --from "$2" "$3" --out "$work/$1.parquet" --labels "$work/$1.labels.csv" 2> "$work/$1.convert.log"
}
conv movielens movielens "$data/movielens-small/ratings.csv"
conv bitcoin-otc bitcoin-otc "$data/bitcoin-otc"
conv vews vews "$data/vews/vews_v1.1.tar.gz"
conv higgs higgs "$data/higgs-twitter/higgs-activity_time.txt.gz"
[ -s "$work/darpa.parquet" ] && [ -s "$work/darpa.event-labels.txt" ] || $bin convert --from darpa "$data/darpa/darpa_original.zip" --out "$work/darpa.parquet" --labels "$work/darpa.labels.csv" --event-labels "$work/darpa.event-labels.txt" 2> "$work/darpa.convert.log"
for y in YelpChi YelpNYC YelpZip; do conv "$y" yelp "$data/yelp/$y/metadata.gz"; done
echo "| data | accounts | bad | base rate | AP | ROC-AUC | flagged | precision | good accounts flagged | detect wall |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row movielens "$work/movielens.parquet" "$work/movielens.labels.csv"
row bitcoin-otc "$work/bitcoin-otc.parquet" "$work/bitcoin-otc.labels.csv"
row vews "$work/vews.parquet" "$work/vews.labels.csv"
row higgs "$work/higgs.parquet" "$work/higgs.labels.csv"
row darpa "$work/darpa.parquet" "$work/darpa.labels.csv"
for y in YelpChi YelpNYC YelpZip; do
  row "$y" "$work/$y.parquet" "$work/$y.labels.csv"
  row "$y" "$work/$y.parquet" "$work/$y.labels.csv" 2
done

echo
auc() { # labels scores start end name
python3 - "$@" <<'PY'
import sys
labels = [int(l) for l in open(sys.argv[1])]
scores = [float(l) for l in open(sys.argv[2])]
assert len(labels) == len(scores), (len(labels), len(scores))
pairs = sorted(zip(scores, labels)); pos = sum(labels); neg = len(labels) - pos; rank = 0.0; i = 0
while i < len(pairs):
    j = i
    while j < len(pairs) and pairs[j][0] == pairs[i][0]: j += 1
    rank += (i + 1 + j) / 2 * sum(p[1] for p in pairs[i:j]); i = j
print("%s: edge ROC-AUC %.4f over %d edges (%d attack), %.1f s for read + score" % (sys.argv[5], (rank - pos * (pos + 1) / 2) / (pos * neg), len(labels), pos, float(sys.argv[4]) - float(sys.argv[3])))
PY
}
echo "DARPA, per edge (2 rows × 1024 buckets, decay 0.5, 1-minute ticks):"
start=$(date +%s.%N)
$bin score-events "$work/darpa.parquet" --out "$work/darpa.scores.txt" 2> /dev/null
auc "$work/darpa.event-labels.txt" "$work/darpa.scores.txt" "$start" "$(date +%s.%N)" MIDAS-R
start=$(date +%s.%N)
$bin score-events "$work/darpa.parquet" --out "$work/darpa.scores-f.txt" --filter-threshold 1000 2> /dev/null
auc "$work/darpa.event-labels.txt" "$work/darpa.scores-f.txt" "$start" "$(date +%s.%N)" "MIDAS-F (threshold 1000)"
