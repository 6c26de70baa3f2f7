#!/usr/bin/env python3
"""Per-family learning table of one `harness run` results directory (issue 15's table).

    scripts/family_table.py RESULTS_DIR [--method sft] [--base base] [--profile default|warmup] [--markdown]

For each task of the chosen method: greedy accuracy with its Wilson 95% interval, the chance level (multiple
choice: 1 / options), the target of the profile and whether it is met, the share of completions the task's
extractor could read, McNemar's exact p against the base method on the same problems, and for multiple choice
where the errors are: how often the value the solution computed is the gold option's, and how often the
letter written is the option holding that value. Exit status 0; the table is the output.
"""
import argparse
import json
import math
import os
import re
import sys

# Targets of issue 15 (synthetic test splits, greedy). "chance+" targets are points above chance.
TARGETS = {
    "default": {"gsm8k": ("abs", 0.50)},
    "warmup": {"gsm8k": ("abs", 0.60), "svamp": ("abs", 0.60), "mathqa": ("chance+", 0.35),
               "agieval": ("chance+", 0.35), "gpqa": ("chance+", 0.35), "aime": ("abs", 0.30),
               "livecodebench": ("abs", 0.30)},
}
OPTIONS = {"mathqa": 5, "agieval": 5, "gpqa": 4}  # options per synthetic problem


def wilson(k, n, z=1.96):
    if n == 0:
        return 0.0, 0.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def mcnemar(b, c):
    """Two-sided exact McNemar p (binomial test of b in b+c at 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired(a, b):
    """Two arms' per-problem correctness ({key: bool}) on their shared keys: (acc_a, acc_b, only_a, only_b, p)."""
    keys = sorted(set(a) & set(b))
    only_a = sum(1 for key in keys if a[key] and not b[key])
    only_b = sum(1 for key in keys if b[key] and not a[key])
    acc_a = sum(a[key] for key in keys) / len(keys)
    acc_b = sum(b[key] for key in keys) / len(keys)
    return acc_a, acc_b, only_a, only_b, mcnemar(only_a, only_b)


def choice_diagnostics(samples):
    """(value right, letter matches value, right letter from a wrong value) shares over greedy multiple-choice
    samples. The last is ReFT's reward hacking on MathQA: the letter scores while the chain's value is not the
    gold option's (no value stated counts as wrong)."""
    n = value_right = letter_matches = hacked = 0
    for s in samples:
        n += 1
        options = dict(re.findall(r"^\(([A-E])\) (.+)$", s["prompt"], re.M))
        text = s["completions"][0]
        value = None
        m = re.search(r"So the answer is (.+?)(?:, which|\.\n|\.$)", text)
        if m:
            value = m.group(1)
        else:
            m = re.search(r"(\S+) is option \(", text)
            value = m.group(1) if m else None
        letter = re.search(r"The answer is \(([A-E])\)", text)
        if letter and letter.group(1) == s["gold"] and (value is None or value != options.get(s["gold"])):
            hacked += 1
        if value is not None:
            value_right += value == options.get(s["gold"])
            if letter:
                letter_matches += value == options.get(letter.group(1))
    return value_right / max(n, 1), letter_matches / max(n, 1), hacked / max(n, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results_dir")
    ap.add_argument("--method", default="sft")
    ap.add_argument("--base", default="base")
    ap.add_argument("--profile", default="default", choices=sorted(TARGETS))
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    doc = json.load(open(os.path.join(args.results_dir, "results.json")))
    samples = {}
    for line in open(os.path.join(args.results_dir, "samples.jsonl")):
        s = json.loads(line)
        if s.get("mode", "greedy") != "greedy":
            continue
        samples.setdefault((s["method"], s["task"], s["seed"]), {})[s["id"]] = s
    rows = []
    tasks = [r["task"] for r in doc["results"] if r["method"] == args.method]
    for task in dict.fromkeys(tasks):
        mine = [v for (m, t, _), d in samples.items() if m == args.method and t == task for v in d.values()]
        n = len(mine)
        k = sum(1 for s in mine if s["correct"][0])
        lo, hi = wilson(k, n)
        extracted = sum(1 for s in mine if s["extracted"][0] is not None) / max(n, 1)
        b = c = 0
        base_n = 0
        for (m, t, seed), d in samples.items():
            if m != args.method or t != task:
                continue
            other = samples.get((args.base, task, seed), {})
            for pid, s in d.items():
                if pid in other:
                    base_n += 1
                    mine_ok, base_ok = s["correct"][0], other[pid]["correct"][0]
                    b += base_ok and not mine_ok
                    c += mine_ok and not base_ok
        chance = 1 / OPTIONS[task] if task in OPTIONS else 0.0
        target = TARGETS[args.profile].get(task)
        if args.profile == "default" and task in OPTIONS:
            target = ("above chance", 0.0)
        goal, met = "", ""
        if target:
            kind, value = target
            need = value if kind == "abs" else chance + value
            if kind == "above chance":
                need, goal = chance, f"> {100 * chance:.0f} (CI)"
                met = "yes" if lo > chance else "no"
            else:
                goal = f">= {100 * need:.0f}"
                met = "yes" if k / max(n, 1) >= need else "no"
        p = mcnemar(b, c) if base_n else float("nan")
        diag = ""
        if task in OPTIONS:
            vr, lm, hk = choice_diagnostics(mine)
            diag = f"value {100 * vr:.0f}%, letter {100 * lm:.0f}%, right letter/wrong value {100 * hk:.0f}%"
        rows.append([task, n, f"{100 * k / max(n, 1):.1f}", f"{100 * lo:.1f}-{100 * hi:.1f}",
                     f"{100 * chance:.0f}" if chance else "-", goal or "-", met or "-",
                     f"{100 * extracted:.0f}%", f"{p:.2g}" if base_n else "-", diag or "-"])
    header = ["task", "n", "acc %", "95% CI", "chance", "target", "met", "extracted", f"p vs {args.base}",
              "MC: value right / letter matches / right letter from a wrong value"]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(str(x) for x in r) + " |")
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        for r in [header] + rows:
            print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)))
    # The held-out difficulty grid: accuracy per (steps, max_value) cell, pooled over seeds; * = trained cell.
    cells = {}
    for c in doc.get("difficulty", []):
        key = (c["task"], c["method"])
        cell = cells.setdefault(key, {}).setdefault((c["steps"], c["max_value"]), [0, 0, False])
        cell[0] += c["correct"]
        cell[1] += c["n"]
        cell[2] = cell[2] or c.get("trained", False)
    for (task, method), grid in sorted(cells.items()):
        columns = sorted({v for _, v in grid})
        print(f"\ndifficulty grid {task}/{method}: greedy accuracy %, rows = steps, columns = largest number"
              " (* = the trained cell)")
        print("| steps | " + " | ".join(f"<= {v}" for v in columns) + " |")
        print("|---|" + "---|" * len(columns))
        for steps in sorted({s for s, _ in grid}):
            row = []
            for v in columns:
                k, n, trained = grid.get((steps, v), [0, 0, False])
                row.append(f"{100 * k / n:.0f}{'*' if trained else ''} (n={n})" if n else "-")
            print(f"| {steps} | " + " | ".join(row) + " |")
    train = [p for p in doc.get("profile", {}).get("phases", []) if p["name"].startswith("train:")]
    for p in train:
        print(f"{p['name']}: {p['wall_seconds']:.0f} s, {p['throughput']:.0f} {p['unit']}", file=sys.stderr)
    print(f"total wall {doc.get('profile', {}).get('total_wall_seconds', 0):.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
