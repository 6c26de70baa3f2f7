#!/usr/bin/env python3
"""The baseline `harness score` is measured against (issue 19): a plain Python `re` scorer doing the
same work for GSM8K -- read the data and the predictions, extract each completion's answer (the last
"#### N" / "answer is N" marker, else the last number), compare exactly with the gold number,
majority-vote, and write results.json and samples.jsonl.

    python3 scripts/py_score.py DATA.jsonl PREDICTIONS.jsonl OUT_DIR
"""
import collections
import json
import os
import re
import sys

MARKER = re.compile(r"(?:####|[Aa]nswer is:?)\s*\$?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)")
NUMBER = re.compile(r"-?[0-9][0-9,]*(?:\.[0-9]+)?")


def normalize(text):
    text = text.replace(",", "").rstrip(".")
    try:
        value = float(text)
    except ValueError:
        return None
    return str(int(value)) if value == int(value) else repr(value)


def extract(completion):
    found = MARKER.findall(completion) or NUMBER.findall(completion)
    return normalize(found[-1]) if found else None


def main(data_path, predictions_path, out_dir):
    gold = {}
    with open(data_path) as f:
        for index, line in enumerate(f):
            gold[str(index)] = normalize(json.loads(line)["answer"].split("####")[-1].strip())
    samples, correct, majority = [], 0, 0
    total = 0
    with open(predictions_path) as f:
        for line in f:
            row = json.loads(line)
            answers = [extract(c) for c in row["completions"]]
            hits = [a is not None and a == gold[row["id"]] for a in answers]
            votes = collections.Counter(a for a in answers if a is not None).most_common(1)
            correct += hits[0]
            majority += bool(votes) and votes[0][0] == gold[row["id"]]
            total += 1
            samples.append({"id": row["id"], "gold": gold[row["id"]], "completions": row["completions"],
                            "extracted": answers, "correct": hits})
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "samples.jsonl"), "w") as f:
        for s in samples:
            f.write(json.dumps(s) + "\n")
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"n": total, "accuracy": correct / total, "maj": majority / total}, f, indent=2)
    print("n=%d accuracy=%.4f maj=%.4f" % (total, correct / total, majority / total))


if __name__ == "__main__":
    main(*sys.argv[1:4])
