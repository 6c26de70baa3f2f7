#!/usr/bin/env python3
"""Arm table of a `harness run` results directory: per method x task, the accuracy pooled over seeds
(mean of the per-seed accuracies, and a Wilson 95% interval over all seeds' problems), then the paired
McNemar exact test of chosen orderings over (seed, problem) pairs, as the report computes them.

usage: scripts/arm_table.py RESULTS_DIR [--orderings better>worse ...]   (standard library only)
"""
import json
import math
import sys
from collections import defaultdict


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def mcnemar(b, c):
    # Exact two-sided: 2 * P(X <= min(b, c)), X ~ Bin(b + c, 1/2), capped at 1.
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    orderings = [a.split(">") for a in args[1:] if ">" in a]
    doc = json.load(open(out + "/results.json"))
    per_seed = defaultdict(list)
    for r in doc["results"]:
        per_seed[(r["method"], r["task"])].append(r["metrics"]["accuracy"])
    outcomes = defaultdict(dict)
    for line in open(out + "/samples.jsonl"):
        s = json.loads(line)
        outcomes[(s["method"], s["task"])][(s["seed"], s["id"])] = bool(s["correct"][0])
    methods = list(dict.fromkeys(r["method"] for r in doc["results"]))
    tasks = list(dict.fromkeys(r["task"] for r in doc["results"]))
    print("| method | " + " | ".join(tasks) + " |")
    print("|---|" + "---|" * len(tasks))
    for m in methods:
        cells = []
        for t in tasks:
            o = outcomes.get((m, t), {})
            k, n = sum(o.values()), len(o)
            lo, hi = wilson(k, n)
            seeds = per_seed.get((m, t), [])
            mean = sum(seeds) / len(seeds) if seeds else float("nan")
            cells.append(f"{100 * mean:.1f} ({100 * lo:.1f}-{100 * hi:.1f})")
        print(f"| {m} | " + " | ".join(cells) + " |")
    if orderings:
        print()
        print("| ordering | task | pairs | better only | worse only | McNemar p | verdict |")
        print("|---|---|---|---|---|---|---|")
        for better, worse in orderings:
            for t in tasks:
                a, b = outcomes.get((better, t), {}), outcomes.get((worse, t), {})
                keys = [k for k in a if k in b]
                bo = sum(1 for k in keys if a[k] and not b[k])
                wo = sum(1 for k in keys if b[k] and not a[k])
                p = mcnemar(bo, wo)
                verdict = "not significant" if p >= 0.05 else ("agrees" if bo > wo else "disagrees")
                print(f"| {better} > {worse} | {t} | {len(keys)} | {bo} | {wo} | {p:.3g} | {verdict} |")


if __name__ == "__main__":
    main()
