#!/usr/bin/env python3
"""WSRL reproduction tables of one `harness run configs/paper/wsrl.json` results directory.

    scripts/wsrl_table.py RESULTS_DIR [--seeds 4-10]

Control study (the point maze; results.json "studies"): the premise (Cal-QL's offline policy succeeds,
online SAC from scratch fails), then per arm the mean over seeds of each scalar with its Student-t 95%
interval, and one verdict per ordering the paper reports (arXiv 2412.07762 Figs 7, 9, 10, 11, 16, 17, 24):
agrees / disagrees when the 95% interval of the paired (same seed, same offline agent) difference excludes 0
in / against the paper's direction, else not significant. Text variant (results.json rows and
samples.jsonl): greedy accuracy pooled over seeds (Wilson 95%) and paired exact McNemar verdicts.
Facts: ../shared/research/method_anchors.md §4.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from family_table import paired, wilson  # noqa: E402  (one definition of each estimator)

# Two-sided 95% Student-t quantiles t_{0.975, df}.
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        15: 2.131, 20: 2.086, 30: 2.042}


def t975(df):
    if df in T975:
        return T975[df]
    return T975[max(k for k in T975 if k <= df)] if df < 30 else 1.96


def mean_ci(values):
    """Mean and the half-width of its Student-t 95% interval (0 for one value)."""
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    return m, t975(n - 1) * sd / math.sqrt(n)


ARMS = ["wsrl", "wsrl-no-warmup", "wsrl-random-warmup", "wsrl-retention", "wsrl-append", "wsrl-warmup-small",
        "wsrl-warmup-large", "rlpd", "sac-scratch"]
SCALARS = [("success_at_switch", "success at switch"), ("min_success_early", "lowest early"), ("dip", "dip"),
           ("mean_success", "mean (AUC)"), ("final_success", "final"), ("mean_steps", "mean steps to goal"),
           ("q_offline_at_switch", "Q_off at switch"), ("q_offline_min_early", "Q_off lowest early")]
# (a, b, scalar, sign, claim): the paper says sign·(a − b) > 0 on that scalar.
ORDERINGS = [
    ("wsrl-no-warmup", "wsrl", "dip", +1, "no warm-up dips more right after the switch (Fig 10)"),
    ("wsrl", "wsrl-no-warmup", "q_offline_min_early", +1, "no warm-up: Q on offline data collapses (Fig 11)"),
    ("wsrl", "wsrl-no-warmup", "mean_success", +1, "WSRL learns faster than no warm-up (Fig 10)"),
    ("wsrl", "wsrl-random-warmup", "mean_success", +1, "policy warm-up > random-action warm-up (Fig 16)"),
    ("wsrl", "wsrl-retention", "mean_success", +1, "WSRL ≥ retention, which is slower (Figs 9, 24)"),
    ("wsrl", "wsrl-append", "mean_success", +1, "WSRL ≥ appending the offline data (Fig 24)"),
    ("wsrl", "rlpd", "mean_success", +1, "WSRL faster early than RLPD from scratch (Fig 9)"),
    ("wsrl", "sac-scratch", "final_success", +1, "premise: SAC from scratch fails within the budget"),
    ("wsrl", "wsrl-warmup-small", "mean_success", +1, "warm-up 5K ≥ 1K (Fig 17)"),
    ("wsrl", "wsrl-warmup-large", "mean_success", +1, "warm-up 5K ≥ 20K (Fig 17)"),
    ("wsrl-no-warmup", "wsrl", "mean_steps", +1, "no warm-up: longer paths on average (steps, lower is better)"),
    ("wsrl-random-warmup", "wsrl", "mean_steps", +1, "random warm-up: longer paths than policy warm-up"),
]
TEXT_ARMS = ["sft", "wsrl-text-offline", "wsrl-text", "wsrl-text-no-warmup", "wsrl-text-retention",
             "wsrl-text-fresh-critic"]
TEXT_ORDERINGS = [
    ("wsrl-text", "wsrl-text-offline", "online fine-tuning improves on the offline initialisation"),
    ("wsrl-text", "wsrl-text-no-warmup", "the critic warm-up helps (Fig 10 analogue)"),
    ("wsrl-text", "wsrl-text-retention", "no retained offline data ≥ retention (Fig 24 analogue)"),
    ("wsrl-text", "wsrl-text-fresh-critic", "the pre-trained critic helps (Q-init, Figs 12–13 analogue)"),
]


def control_tables(studies):
    by_arm = {}
    for s in studies:
        by_arm.setdefault(s["method"], {})[s["seed"]] = s
    out = []
    offline = by_arm.get("wsrl-offline", {})
    if offline:
        seeds = sorted(offline)
        vals = [offline[k]["scalars"]["final_success"] for k in seeds]
        m, h = mean_ci(vals)
        curve = {k: offline[k]["curves"]["success"] for k in seeds}
        out.append("Premise 1, offline pre-training reaches a useful policy (Cal-QL, success of the deterministic "
                   f"policy): {m:.2f} ± {h:.2f} (per seed {', '.join(f'{v:.2f}' for v in vals)}); "
                   f"{offline[seeds[0]]['scalars'].get('goal_transitions', '?')} goal transitions of "
                   f"{offline[seeds[0]]['scalars'].get('offline_transitions', '?')} in seed {seeds[0]}'s data.")
        for k in seeds:
            first = next((x for x, y in zip(curve[k]["x"], curve[k]["y"]) if y > 0), None)
            out.append(f"  seed {k}: first evaluation with success > 0 at offline update "
                       f"{int(first) if first is not None else 'never'}; final {curve[k]['y'][-1]:.2f}")
    scratch = by_arm.get("sac-scratch", {})
    if scratch:
        vals = [scratch[k]["scalars"]["final_success"] for k in sorted(scratch)]
        m, h = mean_ci(vals)
        out.append(f"Premise 2, online SAC from scratch fails within the budget: final success {m:.2f} ± {h:.2f} "
                   f"(per seed {', '.join(f'{v:.2f}' for v in vals)}).")
    out.append("")
    header = "| arm | seeds | " + " | ".join(label for _, label in SCALARS) + " |"
    out += [header, "|" + "---|" * (len(SCALARS) + 2)]
    for arm in [a for a in ARMS if a in by_arm] + [a for a in by_arm if a not in ARMS and a != "wsrl-offline"]:
        runs = by_arm[arm]
        cells = []
        for key, _ in SCALARS:
            vals = [runs[k]["scalars"][key] for k in sorted(runs) if key in runs[k]["scalars"]]
            if not vals:
                cells.append("–")
                continue
            m, h = mean_ci(vals)
            cells.append(f"{m:.2f} ± {h:.2f}" if abs(m) < 100 else f"{m:.0f} ± {h:.0f}")
        out.append(f"| {arm} | {len(runs)} | " + " | ".join(cells) + " |")
    out += ["", "| ordering (paper) | scalar | paired difference, mean ± 95% | per seed | verdict |",
            "|---|---|---|---|---|"]
    for a, b, key, sign, claim in ORDERINGS:
        if a not in by_arm or b not in by_arm:
            continue
        seeds = sorted(set(by_arm[a]) & set(by_arm[b]))
        diffs = [sign * (by_arm[a][k]["scalars"][key] - by_arm[b][k]["scalars"][key]) for k in seeds]
        m, h = mean_ci(diffs)
        if len(diffs) < 2:
            verdict = "one seed"
        elif m - h > 0:
            verdict = "agrees"
        elif m + h < 0:
            verdict = "disagrees"
        else:
            verdict = "not significant"
        out.append(f"| {claim} | {key} | {m:+.3f} ± {h:.3f} | {', '.join(f'{d:+.2f}' for d in diffs)} | {verdict} |")
    return out


def text_tables(results_dir):
    greedy = {}
    path = os.path.join(results_dir, "samples.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        for line in f:
            s = json.loads(line)
            if s.get("mode") != "greedy" or s.get("method") not in TEXT_ARMS:
                continue
            greedy.setdefault((s["method"], s["task"]), {})[(s["seed"], s["id"])] = bool(s["correct"][0])
    if not any(m.startswith("wsrl-text") for m, _ in greedy):
        return []
    out = ["| method | task | greedy accuracy (pooled, Wilson 95%) | per seed |", "|---|---|---|---|"]
    tasks = sorted({t for _, t in greedy})
    for task in tasks:
        for m in TEXT_ARMS:
            cell = greedy.get((m, task))
            if not cell:
                continue
            k, n = sum(cell.values()), len(cell)
            lo, hi = wilson(k, n)
            seeds = sorted({s for s, _ in cell})
            per = [100 * sum(v for (s, _), v in cell.items() if s == seed) / sum(1 for (s, _) in cell if s == seed)
                   for seed in seeds]
            out.append(f"| {m} | {task} | {100 * k / n:.1f} [{100 * lo:.1f}, {100 * hi:.1f}] | "
                       f"{', '.join(f'{p:.1f}' for p in per)} |")
    out += ["", "| ordering (WSRL's, on text) | task | Δ pp | McNemar p | verdict |", "|---|---|---|---|---|"]
    for task in tasks:
        for a, b, claim in TEXT_ORDERINGS:
            if (a, task) not in greedy or (b, task) not in greedy:
                continue
            acc_a, acc_b, _, _, p = paired(greedy[(a, task)], greedy[(b, task)])
            delta = 100 * (acc_a - acc_b)
            verdict = "not significant" if p >= 0.05 else ("agrees" if delta > 0 else "disagrees")
            out.append(f"| {claim} | {task} | {delta:+.1f} | {p:.3f} | {verdict} |")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir")
    parser.add_argument("--seeds", help="only these seeds' control-study runs, e.g. 4-10 or 1,3 (default: all)")
    args = parser.parse_args()
    with open(os.path.join(args.results_dir, "results.json")) as f:
        doc = json.load(f)
    lines = []
    studies = doc.get("studies", [])
    if args.seeds:
        wanted = set()
        for part in args.seeds.split(","):
            first, _, last = part.partition("-")
            wanted.update(range(int(first), int(last or first) + 1))
        studies = [s for s in studies if s["seed"] in wanted]
    if studies:
        lines += ["## Control study: the point maze", ""] + control_tables(studies) + [""]
    text = text_tables(args.results_dir)
    if text:
        lines += ["## Text variant", ""] + text
    print("\n".join(lines))


if __name__ == "__main__":
    main()
