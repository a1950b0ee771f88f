#!/usr/bin/env python3
"""Run the SpEagle peer on a Yelp metadata file and print user-level AP / ROC-AUC.

SpEagle (Rayana & Akoglu, KDD 2015, doi:10.1145/2783258.2783370) scores users, reviews and
products with loopy belief propagation over the user-review-product graph, starting from
unsupervised priors built from behavioural metadata. This script is the *peer* run that the
README's real-data section compares lockstep with; it is not part of lockstep and is not run in CI.

- The priors are computed here from the paper's description (its Table 1 metadata features and
  its ECDF combination S = 1 - sqrt(sum_l f_l^2 / F)). The text features (review length,
  similarity, ...) are left out: the Yelp copies in ../shared/data carry no review text.
- Belief propagation is the public UGFraud implementation of SpEagle (pip package `UGFraud`,
  safe-graph/UGFraud), run with the potentials of its demo (user-review 1e-5, review-product 0.1).
- Labels follow the convention of the paper and of `lockstep convert --from yelp`: a user is a
  spammer if any of its reviews was filtered (label -1).

Usage: python speagle_yelp.py METADATA.gz [--iters N] [--lockstep-accounts accounts.csv]
Prints one JSON line per scorer (prior only, SpEagle), each for all users and for users with >= 2
reviews. With --lockstep-accounts (the accounts.csv of `lockstep detect` on the converted data) it
also scores lockstep's own ranking and SpEagle's propagation started from it: the user priors are
then the percentile ranks of lockstep's evidence (clamped to [0.05, 0.95]) instead of SpEagle's.
"""

import argparse
import gzip
import json
import math
import sys
import time
from collections import defaultdict
from datetime import date

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def read_metadata(path):
    """Rows of (user, product, rating, filtered, day_number)."""
    rows = []
    with gzip.open(path, "rt") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 5:
                sys.exit(f"{path}:{lineno}: expected 5 fields, got {len(parts)}")
            user, prod, rating, label, day = parts
            y, m, d = (int(x) for x in day.split("-"))
            rows.append((user, prod, float(rating), label == "-1", date(y, m, d).toordinal()))
    return rows


# Temporal-gap bins (days) for the ETG entropy, as in the paper.
GAP_BINS = [0.5, 1, 4, 7, 13, 33]


def entropy(counts):
    total = sum(counts)
    if total == 0:
        return 0.0
    h = 0.0
    for c in counts:
        if c:
            p = c / total
            h -= p * math.log2(p)
    return h


def behaviour_features(reviews, avg_of, rank_of):
    """The paper's user/product behavioural features for one entity's reviews.

    reviews: list of (other_id, rating, day, review_key). Returns dict name -> value.
    """
    n = len(reviews)
    per_day = defaultdict(int)
    for _, _, day, _ in reviews:
        per_day[day] += 1
    ratings = [r for _, r, _, _ in reviews]
    devs = [abs(r - avg_of(k)) for _, r, _, k in reviews]
    weights = [1.0 / rank_of(k) ** 1.5 for _, _, _, k in reviews]
    days = sorted(day for _, _, day, _ in reviews)
    span = days[-1] - days[0]
    gaps = [b - a for a, b in zip(days, days[1:])]
    gap_hist = [0] * (len(GAP_BINS) + 1)
    for g in gaps:
        i = 0
        while i < len(GAP_BINS) and g > GAP_BINS[i]:
            i += 1
        gap_hist[i] += 1
    star_hist = [0] * 5
    for r in ratings:
        star_hist[min(4, max(0, int(round(r)) - 1))] += 1
    return {
        "MNR": max(per_day.values()),
        "PR": sum(r >= 4 for r in ratings) / n,
        "NR": sum(r <= 2 for r in ratings) / n,
        "avgRD": sum(devs) / n,
        "WRD": sum(w * d for w, d in zip(weights, devs)) / sum(weights),
        "BST": 0.0 if span > 28 else 1.0 - span / 28.0,
        "ERD": entropy(star_hist),
        "ETG": entropy(gap_hist),
    }


# True: a high value is suspicious; False: a low value is.
ENTITY_DIRECTION = {"MNR": True, "PR": True, "NR": True, "avgRD": True, "WRD": True,
                    "BST": True, "ERD": False, "ETG": False}
REVIEW_DIRECTION = {"Rank": False, "RD": True, "EXT": True, "DEV": True, "ETF": True, "ISR": True}


def combine(features, direction):
    """S = 1 - sqrt(mean_l f_l^2), f_l the ECDF tail of feature l on the suspicious side."""
    keys = list(features.keys())
    names = list(direction.keys())
    total = np.zeros(len(keys))
    for name in names:
        x = np.array([features[k][name] for k in keys], dtype=float)
        order = np.sort(x)
        if direction[name]:
            f = 1.0 - np.searchsorted(order, x, side="left") / len(x)  # P(X >= x)
        else:
            f = np.searchsorted(order, x, side="right") / len(x)  # P(X <= x)
        total += f * f
    score = 1.0 - np.sqrt(total / len(names))
    return dict(zip(keys, score))


def priors(rows):
    by_user = defaultdict(list)
    by_prod = defaultdict(list)
    for i, (u, p, r, _, day) in enumerate(rows):
        by_user[u].append((p, r, day, i))
        by_prod[p].append((u, r, day, i))
    prod_avg = {p: sum(r for _, r, _, _ in revs) / len(revs) for p, revs in by_prod.items()}
    rank = {}
    first_day = {}
    for p, revs in by_prod.items():
        ordered = sorted(revs, key=lambda t: (t[2], t[3]))
        first_day[p] = ordered[0][2]
        for k, (_, _, _, i) in enumerate(ordered, 1):
            rank[i] = k

    def prod_of(i):
        return rows[i][1]

    uf = {u: behaviour_features(revs, lambda i: prod_avg[prod_of(i)], rank.__getitem__)
          for u, revs in by_user.items()}
    # For a product the deviation is of each review from the product's own average.
    pf = {p: behaviour_features(revs, lambda i, p=p: prod_avg[p], rank.__getitem__)
          for p, revs in by_prod.items()}
    rf = {}
    for i, (u, p, r, _, day) in enumerate(rows):
        dev = abs(r - prod_avg[p])
        early = day - first_day[p]
        etf = 0.0 if early > 210 else 1.0 - early / 210.0
        rf[i] = {"Rank": rank[i], "RD": dev, "EXT": 1.0 if r >= 4 else 0.0,
                 "DEV": 1.0 if dev / 4.0 > 0.63 else 0.0, "ETF": 1.0 if etf > 0.69 else 0.0,
                 "ISR": 1.0 if len(by_user[u]) == 1 else 0.0}
    return combine(uf, ENTITY_DIRECTION), combine(pf, ENTITY_DIRECTION), combine(rf, REVIEW_DIRECTION)


def evaluate(name, scores, labels, counts):
    out = []
    for subset, keep in (("all", lambda u: True), (">=2", lambda u: counts[u] >= 2)):
        users = [u for u in labels if keep(u)]
        y = np.array([labels[u] for u in users], dtype=int)
        s = np.array([scores[u] for u in users], dtype=float)
        out.append({"scorer": name, "users": subset, "n": len(users), "base": round(float(y.mean()), 3),
                    "ap": round(float(average_precision_score(y, s)), 3),
                    "roc_auc": round(float(roc_auc_score(y, s)), 3)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("metadata")
    ap.add_argument("--iters", type=int, default=2, help="belief-propagation sweeps (UGFraud demo: 2)")
    ap.add_argument("--lockstep-accounts", help="lockstep's accounts.csv for the same data")
    args = ap.parse_args()

    t0 = time.time()
    rows = read_metadata(args.metadata)
    labels = defaultdict(int)
    counts = defaultdict(int)
    for u, _, _, filtered, _ in rows:
        labels[u] |= int(filtered)
        counts[u] += 1
    up, pp, rp = priors(rows)
    t_prior = time.time() - t0
    for line in evaluate("prior", up, labels, counts):
        print(json.dumps({**line, "seconds": round(t_prior, 1)}), flush=True)
    name = "speagle"
    if args.lockstep_accounts:
        import csv
        from scipy.stats import rankdata

        # `lockstep convert --from yelp` names accounts "u" + the Yelp user id.
        evidence = {r["account"][1:]: float(r["evidence"])
                    for r in csv.DictReader(open(args.lockstep_accounts))}
        users = list(up.keys())
        ranks = rankdata([evidence.get(u, 0.0) for u in users]) / len(users)
        lockstep = dict(zip(users, ranks))
        for line in evaluate("lockstep", lockstep, labels, counts):
            print(json.dumps(line), flush=True)
        up = {u: min(0.95, max(0.05, r)) for u, r in lockstep.items()}
        name = "speagle_bp_from_lockstep"

    import networkx as nx
    from UGFraud.Detector.SpEagle import SpEagle

    g = nx.DiGraph()
    for u, s in up.items():
        g.add_node("u" + u, prior=float(s), types="user")
    for p, s in pp.items():
        g.add_node("p" + p, prior=float(s), types="prod")
    for i, (u, p, _, _, _) in enumerate(rows):
        g.add_edge("u" + u, "p" + p, prior=float(rp[i]), types="review")
    eps_ur, eps_rp = 1e-5, 0.1
    ur = np.log(np.array([[1 - eps_ur, eps_ur], [eps_ur, 1 - eps_ur]]))
    rp_pot = np.log(np.array([[1 - eps_rp, eps_rp], [eps_rp, 1 - eps_rp]]))
    potentials = {"u_r": ur, "r_u": ur, "r_p": rp_pot, "p_r": rp_pot}
    model = SpEagle(g, potentials, message=None, max_iters=args.iters)
    model.schedule(schedule_type="bfs")
    model.run_bp(start_iter=0, max_iters=args.iters, tol=1e-3)
    user_belief, _, _ = model.classify()
    speagle = {u[1:]: b for u, b in user_belief.items()}
    t_all = time.time() - t0
    for line in evaluate(name, speagle, labels, counts):
        print(json.dumps({**line, "iters": args.iters, "seconds": round(t_all, 1)}), flush=True)


if __name__ == "__main__":
    main()
