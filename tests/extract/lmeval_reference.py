"""Reference for anchor_reference_test: recomputes the lm-eval and simple-evals filters with Python's
own `re` on the completions the C++ test wrote, and reports every disagreement.

The regexes are the anchors' published ones (eval_anchors.md §2): lm-eval gsm8k strict-match /
flexible-extract, gsm8k-cot strict-match, GPQA generative strict-match (with the lookarounds RE2 lacks)
and flexible-extract (MultiChoiceRegexFilter), simple-evals GPQA. The filter logic follows lm-eval's
RegexFilter / MultiChoiceRegexFilter semantics: findall, group_select, first non-empty tuple element,
strip(), "[invalid]" when nothing matches.
Usage: python3 lmeval_reference.py cases.jsonl   (exit status 1 on any disagreement)
"""
import json
import re
import string
import sys

PUNCT = str.maketrans("", "", string.punctuation)


def regex_filter(pattern, text, group_select, flags=0):
    found = re.compile(pattern, flags).findall(text)
    if not found:
        return "[invalid]"
    match = found[group_select]
    if isinstance(match, tuple):
        match = [m for m in match if m]
        match = match[0] if match else "[invalid]"
    return match.strip()


def multi_choice_flexible(text, choices):
    def ignores(s):
        return s.lower().translate(PUNCT)

    def find(regex, response, convert=None):
        found = regex.findall(response)
        if not found:
            return None
        match = found[-1]
        if isinstance(match, tuple):
            match = [m for m in match if m][0]
        match = match.strip()
        if convert and match in convert:
            match = convert[match]
        return match

    fallback, to_alpha, letters, letter_to_target = [], {}, [], {}
    for i, choice in enumerate(choices):
        key = ignores(choice.strip())
        letter = chr(65 + i)
        fallback.append(re.escape(key))
        to_alpha[key] = f"({letter})"
        letters.append(letter)
        letter_to_target[letter] = f"({letter})"
    match = find(re.compile(r"(\([A-Z]\))", re.IGNORECASE), text)
    if not match:
        match = find(re.compile("|".join(fallback)), ignores(text), to_alpha)
    if not match:
        match = find(re.compile(rf":[\s]*({'|'.join(letters)})"), text, letter_to_target)
    return match or "[invalid]"


def simple_evals(text):
    match = re.search(r"(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?", text)
    return match.group(1) if match else "[invalid]"


def expected(text, choices):
    return {
        "gsm8k/lm-eval-strict": regex_filter(r"#### (\-?[0-9\.\,]+)", text, 0),
        "gsm8k/lm-eval-flexible": regex_filter(r"(-?[$0-9.,]{2,})|(-?[0-9]+)", text, -1),
        "gsm8k/lm-eval-cot": regex_filter(r"The answer is (\-?[0-9\.\,]+).", text, 0),
        "gpqa/lm-eval-strict": regex_filter(r"(?<=The answer is )(.*)(?=.)", text, 0),
        "gpqa/lm-eval-flexible": multi_choice_flexible(text, choices),
        "gpqa/simple-evals": simple_evals(text),
    }


def main():
    mismatches = 0
    cases = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            cases += 1
            for key, want in expected(case["text"], case["choices"]).items():
                # The C++ side reports an empty match as a failed extraction.
                want = "[invalid]" if want == "" else want
                got = case["got"][key]
                if got != want:
                    mismatches += 1
                    if mismatches <= 20:
                        print(f"{key}: {case['text']!r}: python {want!r}, c++ {got!r}")
    print(f"{cases} completions, {mismatches} disagreements")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
