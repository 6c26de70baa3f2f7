#!/usr/bin/env python3
"""START reproduction table of one `harness run configs/paper/start.json` results directory.

    scripts/start_table.py RESULTS_DIR

Prints, per arm and task: greedy accuracy pooled over seeds with its Wilson 95% interval, the per-seed
values, tool calls and hint rounds per problem, generated text length, and START's Table 1 (arXiv v1,
QwQ-32B-Preview) beside it; when RESULTS_DIR is the run's own directory (it keeps train/), the premise per seed
as Hint-RFT measured it on its training problems; the accuracy-vs-R curve of Hint-infer (sequential scaling); then one verdict
per ordering the paper reports: agrees / disagrees (paired exact McNemar on the pooled test problems,
p < 0.05, in / against the paper's direction) or not significant. Facts: ../shared/research/method_anchors.md §3.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from family_table import paired, wilson  # noqa: E402  (one definition of each estimator)

# START arXiv v1, Table 1 (pass@1, %): the base QwQ-32B-Preview, START, and the no-tool RFT control
# (QwQ-RFT, AIME24 only). Each task is shown beside its nearest paper column: aime beside AIME24, gpqa beside
# GPQA (Diamond), livecodebench beside LiveCodeBench; our arithmetic word problems (gsm8k, svamp) beside the
# paper's math columns.
PAPER_MATH = {
    "sft": "QwQ-32B-Preview: AIME24 50.0, MATH500 90.6, AMC23 80.0",
    "start": "START: AIME24 66.7, MATH500 94.4, AMC23 95.0",
    "rft-no-tool": "QwQ-RFT: AIME24 53.3",
}
PAPER_BY_TASK = {
    "aime": {"sft": "QwQ-32B-Preview: AIME24 50.0", "start": "START: AIME24 66.7", "rft-no-tool": "QwQ-RFT: AIME24 53.3"},
    "gpqa": {"sft": "QwQ-32B-Preview: GPQA 58.1", "start": "START: GPQA 63.6", "rft-no-tool": "QwQ-RFT: not reported"},
    "livecodebench": {"sft": "QwQ-32B-Preview: LiveCodeBench 41.4", "start": "START: LiveCodeBench 47.3",
                      "rft-no-tool": "QwQ-RFT: not reported"},
}
PAPER_ANY = {
    "hint-infer": "Hint-infer on QwQ: above QwQ on every benchmark, below START",
    "start-0": "START-0: calls the tool unprompted (no table number)",
}


def paper(method, task):
    return PAPER_BY_TASK.get(task, PAPER_MATH).get(method) or PAPER_ANY.get(method, "—")


CURVE = ["hint-infer-r0", "hint-infer", "hint-infer-r2", "hint-infer-r3", "hint-infer-r4"]
ROUNDS = {"hint-infer-r0": 0, "hint-infer": 1, "hint-infer-r2": 2, "hint-infer-r3": 3, "hint-infer-r4": 4}
ORDERINGS = [
    ("hint-infer", "sft", "Hint-infer > the base (greedy, no tool)"),
    ("hint-infer", "hint-infer-r0", "the hint, not the tool protocol alone, makes the gain"),
    ("start-0", "sft", "START-0 > the base"),
    ("start", "start-0", "RFT adds a little over START-0"),
    ("start", "sft", "START > the base"),
    ("start", "rft-no-tool", "START > RFT without tools"),
    ("rft-no-tool", "sft", "RFT without tools ~ the base (paper: 53.3 vs 50.0)"),
    ("hint-infer-r2", "hint-infer", "a second hint round adds (then saturates)"),
]


def load(results_dir):
    greedy, tools, rounds, length = {}, {}, {}, {}
    with open(os.path.join(results_dir, "samples.jsonl")) as f:
        for line in f:
            s = json.loads(line)
            if s.get("mode") != "greedy":
                continue
            key = (s["method"], s["task"])
            greedy.setdefault(key, {})[(s["seed"], s["id"])] = bool(s["correct"][0])
            traj = (s.get("trajectories") or [None])[0]
            tools.setdefault(key, []).append(len(traj["tool_calls"]) if traj else 0)
            rounds.setdefault(key, []).append(traj["hint_rounds"] if traj else 0)
            text = traj["text"] if traj else (s.get("completions") or [""])[0]
            length.setdefault(key, []).append(len(text))
    with open(os.path.join(results_dir, "results.json")) as f:
        doc = json.load(f)
    return doc, greedy, tools, rounds, length


def premise(results_dir):
    """Hint-RFT's own measurement per seed (train/start-0-*/DONE.json, present in a run's directory)."""
    rows = []
    train = os.path.join(results_dir, "train")
    if not os.path.isdir(train):
        return rows
    for name in sorted(os.listdir(train)):
        done = os.path.join(train, name, "DONE.json")
        if not name.startswith("start-0-") or not os.path.exists(done):
            continue
        with open(done) as f:
            h = json.load(f)["summary"]["hint_rft"]
        with open(os.path.join(train, name, "config.json")) as f:
            seed = json.load(f)["seed"]
        rows.append((seed, h))
    return sorted(rows, key=lambda r: r[0])


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results_dir")
    args = ap.parse_args()
    doc, greedy, tools, rounds, length = load(args.results_dir)
    methods = doc["config"]["methods"]
    tasks = [t["task"] for t in doc["config"]["tasks"]]

    print("| arm | task | greedy (pooled, 95% CI) | per seed | tool calls / problem | hint rounds | text chars | paper (v1 Table 1) |")
    print("|---|---|---|---|---|---|---|---|")
    for m in methods:
        for t in tasks:
            cell = greedy.get((m, t))
            if not cell:
                continue
            n, c = len(cell), sum(cell.values())
            lo, hi = wilson(c, n)
            seeds = sorted({s for s, _ in cell})
            per_seed = [mean([v for (s, _), v in cell.items() if s == seed]) for seed in seeds]
            print(f"| {m} | {t} | {100 * c / n:.1f} [{100 * lo:.1f}–{100 * hi:.1f}] (n={n}) | "
                  f"{' / '.join(f'{100 * x:.1f}' for x in per_seed)} | {mean(tools[(m, t)]):.2f} | "
                  f"{mean(rounds[(m, t)]):.2f} | {mean(length[(m, t)]):.0f} | {paper(m, t)} |")

    rows = premise(args.results_dir)
    if rows:
        print("\n| seed | training problems | greedy | hinted (R = 1) | hinted right, greedy wrong (kept) | "
              "unprompted tool calls (greedy) |")
        print("|---|---|---|---|---|---|")
        for seed, h in rows:
            print(f"| {seed} | {h['questions']} | {100 * h['greedy_accuracy']:.1f}% | {100 * h['hinted_accuracy']:.1f}% | "
                  f"{h['hinted_right_greedy_wrong']} ({h['kept']}) | {h['greedy_tool_calls']} |")

    print("\n| Hint-infer rounds R | task | accuracy (pooled) | tool calls / problem | text chars |")
    print("|---|---|---|---|---|")
    for m in CURVE:
        for t in tasks:
            cell = greedy.get((m, t))
            if not cell:
                continue
            print(f"| {ROUNDS[m]} | {t} | {100 * mean(list(cell.values())):.1f} | {mean(tools[(m, t)]):.2f} | "
                  f"{mean(length[(m, t)]):.0f} |")

    print("\n| ordering | task | better | worse | b (only better right) | c (only worse right) | McNemar p | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for better, worse, claim in ORDERINGS:
        for t in tasks:
            a, b = greedy.get((better, t)), greedy.get((worse, t))
            if not a or not b:
                continue
            acc_a, acc_b, only_a, only_b, p = paired(a, b)
            if "~" in claim:
                verdict = "agrees (no significant difference)" if p >= 0.05 else "disagrees (differs)"
            elif p >= 0.05:
                verdict = "not significant"
            else:
                verdict = "agrees" if only_a > only_b else "disagrees"
            print(f"| {claim} | {t} | {better} {100 * acc_a:.1f} | {worse} {100 * acc_b:.1f} | {only_a} | {only_b} | "
                  f"{p:.3g} | {verdict} |")


if __name__ == "__main__":
    main()
