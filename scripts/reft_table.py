#!/usr/bin/env python3
"""ReFT reproduction table of one `harness run configs/paper/reft.json` results directory.

    scripts/reft_table.py RESULTS_DIR [--markdown]

Prints, per arm and task: greedy accuracy pooled over seeds with its Wilson 95% interval and the per-seed
values, voting (maj@k), pass@k and rerank@k where the arm was sampled, and the paper's number beside it
(ReFT arXiv v1, Galactica-6.7B N-CoT: Table 2 for the arms, Table 4 for voting; Table 6 is CodeLLAMA GSM8K
P-CoT and is quoted for the ablations only as a direction). Then one verdict per ordering the paper reports:
agrees / disagrees (paired exact McNemar on the pooled test problems, p < 0.05, in / against the paper's
direction) or not significant; and the early-RL dip read from the held-out curves (eval_accuracy per step).
Facts: ../shared/research/method_anchors.md §2.3.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from family_table import paired, wilson  # noqa: E402  (one definition of each estimator)

# ReFT arXiv v1, Table 2 (Galactica-6.7B, N-CoT value accuracy) and Table 4 (voting@100, N-CoT, GSM8K).
PAPER = {
    ("sft-continued", "gsm8k"): 41.0, ("sft-continued", "svamp"): 53.8,
    ("offline-st", "gsm8k"): 45.0, ("offline-st", "svamp"): 56.5,
    ("online-st", "gsm8k"): 45.7, ("online-st", "svamp"): 58.5,
    ("reft", "gsm8k"): 46.8, ("reft", "svamp"): 62.3,
}
PAPER_VOTING = {("sft-continued", "gsm8k"): 50.8, ("reft", "gsm8k"): 58.7}
# --pcot: ReFT arXiv v1 Table 2 (Galactica-6.7B, P-CoT columns), Table 4 (voting@100, P-CoT) and Table 6 (CodeLLAMA
# GSM8K P-CoT ablations: full 72.7, no partial reward 70.9, beta = 0 collapse to 0, non-shared value model 72.6).
PAPER_PCOT = {
    ("sft-continued", "gsm8k"): 57.1, ("sft-continued", "svamp"): 69.3,
    ("offline-st", "gsm8k"): 61.0, ("offline-st", "svamp"): 70.8,
    ("online-st", "gsm8k"): 61.9, ("online-st", "svamp"): 73.7,
    ("reft", "gsm8k"): 68.4, ("reft", "svamp"): 73.9,
    ("reft-no-partial", "gsm8k"): "T6: 70.9 vs 72.7", ("reft-beta0", "gsm8k"): "T6: 0 (collapse)",
    ("reft-separate-value", "gsm8k"): "T6: 72.6 vs 72.7",
}
PAPER_VOTING_PCOT = {("sft-continued", "gsm8k"): 61.1, ("reft", "gsm8k"): 70.7}
# (better, worse, what the paper says) per task; "collapse" is checked separately.
ORDERINGS = [
    ("reft", "sft-continued", "Table 2: ReFT > SFT"),
    ("reft", "offline-st", "Table 2: ReFT > Offline-ST"),
    ("reft", "online-st", "Table 2: ReFT > Online-ST"),
    ("offline-st", "sft-continued", "Table 2: Offline-ST > SFT (Galactica; CodeLLAMA reverses it)"),
    ("online-st", "sft-continued", "Table 2: Online-ST > SFT (Galactica)"),
    ("reft", "reft-no-partial", "Table 6: removing the partial reward costs a little"),
    ("reft", "reft-beta0", "Table 6: beta = 0 collapses"),
    ("reft", "sft", "ReFT improves on its own warm-up"),
    ("reft", "reft-separate-value", "Table 6: a separate value model ends equal"),
]


def load(results_dir):
    with open(os.path.join(results_dir, "results.json")) as f:
        doc = json.load(f)
    greedy = {}  # (method, task) -> {(seed, id): correct}
    with open(os.path.join(results_dir, "samples.jsonl")) as f:
        for line in f:
            s = json.loads(line)
            if s.get("mode") != "greedy":
                continue
            greedy.setdefault((s["method"], s["task"]), {})[(s["seed"], s["id"])] = bool(s["correct"][0])
    return doc, greedy


def fmt_pct(x):
    return "—" if x is None else f"{100 * x:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results_dir")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--pcot", action="store_true", help="quote the paper's P-CoT columns (Tables 2, 4, 6)")
    args = ap.parse_args()
    paper_table, paper_voting = (PAPER_PCOT, PAPER_VOTING_PCOT) if args.pcot else (PAPER, PAPER_VOTING)
    paper_label = "paper (v1, Galactica P-CoT; T6 CodeLLAMA)" if args.pcot else "paper (v1, Galactica N-CoT)"
    doc, greedy = load(args.results_dir)
    rows = doc["results"]
    methods = doc["config"]["methods"]
    tasks = [t["task"] for t in doc["config"]["tasks"]]
    k = doc["config"]["eval"].get("k", 0)

    print("| arm | task | greedy (pooled, 95%% CI) | per seed | maj@%d | pass@%d | rerank@%d | %s |" % (k, k, k, paper_label))
    print("|---|---|---|---|---|---|---|---|")
    for m in methods:
        for t in tasks:
            cell = greedy.get((m, t))
            if not cell:
                continue
            n, c = len(cell), sum(cell.values())
            lo, hi = wilson(c, n)
            seeds = sorted({s for s, _ in cell})
            per_seed = [sum(v for (s, _), v in cell.items() if s == seed) / sum(1 for (s, _) in cell if s == seed)
                        for seed in seeds]
            sampled = [r["metrics"] for r in rows if r["method"] == m and r["task"] == t and f"maj@{k}" in r["metrics"]]

            def mean_metric(name):
                vals = [x[name] for x in sampled if name in x]
                return sum(vals) / len(vals) if vals else None

            paper = paper_table.get((m, t))
            voting = paper_voting.get((m, t))
            paper_text = ("—" if paper is None else f"{paper}") + ("" if voting is None else f"; voting {voting}")
            print(f"| {m} | {t} | {100 * c / n:.1f} [{100 * lo:.1f}–{100 * hi:.1f}] (n={n}) | "
                  f"{' / '.join(f'{100 * x:.1f}' for x in per_seed)} | {fmt_pct(mean_metric(f'maj@{k}'))} | "
                  f"{fmt_pct(mean_metric(f'pass@{k}'))} | {fmt_pct(mean_metric(f'rerank@{k}'))} | {paper_text} |")

    print("\n| ordering | task | better | worse | b (only better right) | c (only worse right) | McNemar p | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for better, worse, claim in ORDERINGS:
        for t in tasks:
            a, b = greedy.get((better, t)), greedy.get((worse, t))
            if not a or not b:
                continue
            acc_a, acc_b, only_a, only_b, p = paired(a, b)
            if "collapse" in claim:
                verdict = "agrees (collapse)" if acc_b < 0.05 else ("disagrees: no collapse" if p >= 0.05 or acc_b >= acc_a
                                                                   else "partly: worse, not collapsed")
            elif "ends equal" in claim:
                verdict = "agrees (no significant difference)" if p >= 0.05 else "disagrees"
            elif p >= 0.05:
                verdict = "not significant"
            else:
                verdict = "agrees" if only_a > only_b else "disagrees"
            print(f"| {claim} | {t} | {better} {100 * acc_a:.1f} | {worse} {100 * acc_b:.1f} | {only_a} | {only_b} | "
                  f"{p:.3g} | {verdict} |")

    # Voting vs greedy: the paper's Table 4 has voting above greedy for SFT and ReFT.
    print("\n| voting vs greedy | task | greedy | maj@%d | verdict (unpaired two-proportion z, pooled seeds) |" % k)
    print("|---|---|---|---|---|")
    for m in methods:
        for t in tasks:
            sampled = [r for r in rows if r["method"] == m and r["task"] == t and f"maj@{k}" in r["metrics"]]
            if not sampled:
                continue
            n = sum(r["n"] for r in sampled)
            g = sum(r["metrics"]["accuracy"] * r["n"] for r in sampled) / n
            v = sum(r["metrics"][f"maj@{k}"] * r["n"] for r in sampled) / n
            pooled = (g + v) / 2
            se = math.sqrt(max(pooled * (1 - pooled) * 2 / n, 1e-12))
            z = (v - g) / se
            p = math.erfc(abs(z) / math.sqrt(2))
            verdict = "not significant" if p >= 0.05 else ("agrees" if v > g else "disagrees")
            print(f"| {m} | {t} | {100 * g:.1f} | {100 * v:.1f} | {verdict} (p={p:.3g}) |")

    # The early-RL dip: held-out accuracy at the first evaluation after RL starts vs the warm-up's.
    logs = doc.get("training_logs", [])
    start = {}
    for log in logs:
        if log["method"] == "sft":
            for p in log["points"]:
                if "eval_accuracy" in p:
                    start[log["seed"]] = p["eval_accuracy"]
    print("\n| held-out curve (first eval_n test problems, both tasks) | seed | warm-up | first eval after RL | last |")
    print("|---|---|---|---|---|")
    for log in logs:
        if log["method"] in ("sft", "base"):
            continue
        points = [p for p in log["points"] if "eval_accuracy" in p]
        if not points:
            continue
        first, last = points[0], points[-1]
        print(f"| {log['method']} | {log['seed']} | {fmt_pct(start.get(log['seed']))} | "
              f"{fmt_pct(first['eval_accuracy'])} (step {first['step']}) | {fmt_pct(last['eval_accuracy'])} (step {last['step']}) |")


if __name__ == "__main__":
    main()
