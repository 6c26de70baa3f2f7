#!/usr/bin/env python3
"""Writes K completions per GSM8K test problem for the scoring benchmark (issue 19): the reference
solution with its final answer kept, changed, or unmarked, chosen by a seeded generator.

    python3 scripts/make_score_predictions.py DATA.jsonl OUT.jsonl [K=16] [SEED=0]
"""
import json
import random
import sys


def main(data_path, out_path, k=16, seed=0):
    rng = random.Random(seed)
    with open(data_path) as f, open(out_path, "w") as out:
        for index, line in enumerate(f):
            solution, answer = json.loads(line)["answer"].split("####")
            answer = answer.strip()
            completions = []
            for _ in range(int(k)):
                roll = rng.random()
                if roll < 0.5:
                    final = answer
                elif roll < 0.8:
                    final = str(int(answer.replace(",", "")) + rng.randint(1, 9))
                else:
                    completions.append(solution.strip())
                    continue
                completions.append(solution.strip() + "\nThe answer is " + final + ".")
            out.write(json.dumps({"id": str(index), "completions": completions}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *sys.argv[3:5])
