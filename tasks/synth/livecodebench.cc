// LiveCodeBench generator: small "read input, compute, print" problems in the code_generation_lite
// record layout, in both LCB styles: stdin (AtCoder-like statement with samples) and functional
// (LeetCode-like "class Solution" with metadata.func_name). Each record also carries
// "reference_solution", a Python program that passes all of its public and private tests; the
// expected outputs are computed here in C++, and the tests check the two agree by running python3.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "harness/util/text.h"
#include "tasks/synth/chain.h"
#include "tasks/synth/generators.h"

namespace tasks::synth::internal {

namespace {

using Array = std::vector<long>;

struct CodeFamily {
  const char* slug;   // LeetCode-style title stem
  const char* title;  // AtCoder-style title
  const char* func;   // functional method name
  int difficulty;     // 1 easy, 2 medium, 3 hard
  int k_lo, k_hi;     // the statement's parameter K
  // Task sentence; {A} names the array, {Ai} an element, {K} the parameter.
  const char* task;
  // Python body over list `a` (4-space indented lines, {K} substituted), ending in a return.
  const char* python;
  long (*solve)(const Array& a, long k);
};

long CountDivisible(const Array& a, long k) {
  return std::count_if(a.begin(), a.end(), [k](long x) { return x % k == 0; });
}

long SumGreater(const Array& a, long k) {
  long s = 0;
  for (long x : a) s += x > k ? x : 0;
  return s;
}

long PairsDivisible(const Array& a, long k) {
  long count = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = i + 1; j < a.size(); ++j) count += (a[i] + a[j]) % k == 0 ? 1 : 0;
  }
  return count;
}

long LongestCloseRun(const Array& a, long k) {
  long best = 1, cur = 1;
  for (size_t i = 1; i < a.size(); ++i) {
    cur = std::labs(a[i] - a[i - 1]) <= k ? cur + 1 : 1;
    best = std::max(best, cur);
  }
  return best;
}

long SumLargest(const Array& a, long k) {
  Array s = a;
  std::sort(s.rbegin(), s.rend());
  long total = 0;
  for (long i = 0; i < k && i < static_cast<long>(s.size()); ++i) total += s[i];
  return total;
}

long BestWindow(const Array& a, long k) {
  long w = std::min<long>(k, a.size());
  long cur = 0;
  for (long i = 0; i < w; ++i) cur += a[i];
  long best = cur;
  for (size_t i = w; i < a.size(); ++i) {
    cur += a[i] - a[i - w];
    best = std::max(best, cur);
  }
  return best;
}

long SubarraysDivisible(const Array& a, long k) {
  std::map<long, long> seen = {{0, 1}};
  long total = 0, count = 0;
  for (long x : a) {
    total = (total + x) % k;
    count += seen[total];
    seen[total] += 1;
  }
  return count;
}

long SpacedIncreasing(const Array& a, long k) {
  std::vector<long> best(a.size(), 1);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (a[i] - a[j] >= k) best[i] = std::max(best[i], best[j] + 1);
    }
  }
  return *std::max_element(best.begin(), best.end());
}

const std::vector<CodeFamily>& Families() {
  static const std::vector<CodeFamily> kFamilies = {
      {"count-multiples", "Count Multiples", "countMultiples", 1, 2, 9,
       "Find how many elements of {A} are multiples of {K}.",
       "    return sum(1 for x in a if x % {K} == 0)", CountDivisible},
      {"sum-above-threshold", "Sum Above Threshold", "sumAbove", 1, 0, 50,
       "Find the sum of all elements of {A} that are strictly greater than {K}.",
       "    return sum(x for x in a if x > {K})", SumGreater},
      {"pairs-with-divisible-sum", "Divisible Pair Sums", "countPairs", 2, 2, 9,
       "Find the number of index pairs (i, j) with i < j such that {Ai} + {Aj} is a multiple of "
       "{K}.",
       "    count = 0\n"
       "    for i in range(len(a)):\n"
       "        for j in range(i + 1, len(a)):\n"
       "            if (a[i] + a[j]) % {K} == 0:\n"
       "                count += 1\n"
       "    return count",
       PairsDivisible},
      {"longest-close-run", "Longest Close Run", "longestRun", 2, 0, 9,
       "Find the length of the longest contiguous segment of {A} in which every two adjacent "
       "elements differ "
       "by at most {K}.",
       "    best = cur = 1\n"
       "    for i in range(1, len(a)):\n"
       "        cur = cur + 1 if abs(a[i] - a[i - 1]) <= {K} else 1\n"
       "        best = max(best, cur)\n"
       "    return best",
       LongestCloseRun},
      {"sum-of-largest", "Sum of the Largest", "sumLargest", 2, 1, 5,
       "Find the sum of the {K} largest elements of {A} (of all elements if {A} has fewer than "
       "{K}).",
       "    return sum(sorted(a, reverse=True)[:{K}])", SumLargest},
      {"best-window", "Best Window", "bestWindow", 2, 2, 6,
       "Find the largest sum of {K} consecutive elements of {A} (the sum of all elements if {A} "
       "has fewer "
       "than {K}).",
       "    w = min({K}, len(a))\n"
       "    cur = best = sum(a[:w])\n"
       "    for i in range(w, len(a)):\n"
       "        cur += a[i] - a[i - w]\n"
       "        best = max(best, cur)\n"
       "    return best",
       BestWindow},
      {"subarrays-divisible", "Divisible Subarrays", "countSubarrays", 3, 2, 9,
       "Find the number of non-empty contiguous subarrays of {A} whose sum is a multiple of {K}.",
       "    seen = {0: 1}\n"
       "    total = count = 0\n"
       "    for x in a:\n"
       "        total = (total + x) % {K}\n"
       "        count += seen.get(total, 0)\n"
       "        seen[total] = seen.get(total, 0) + 1\n"
       "    return count",
       SubarraysDivisible},
      {"spaced-increasing", "Spaced Increasing Subsequence", "longestSpaced", 3, 1, 9,
       "Find the length of the longest subsequence of {A} in which each chosen element is at least "
       "{K} larger "
       "than the previous chosen element.",
       "    best = [1] * len(a)\n"
       "    for i in range(len(a)):\n"
       "        for j in range(i):\n"
       "            if a[i] - a[j] >= {K}:\n"
       "                best[i] = max(best[i], best[j] + 1)\n"
       "    return max(best)",
       SpacedIncreasing},
  };
  return kFamilies;
}

std::string Fill(std::string text, const std::string& array, const std::string& ai,
                 const std::string& aj, long k) {
  text = util::ReplaceAll(text, "{Ai}", ai);
  text = util::ReplaceAll(text, "{Aj}", aj);
  text = util::ReplaceAll(text, "{A}", array);
  return util::ReplaceAll(text, "{K}", std::to_string(k));
}

std::string JoinArray(const Array& a, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) out += (i ? sep : "") + std::to_string(a[i]);
  return out;
}

std::string Indent(const std::string& body, const std::string& extra) {
  std::string out;
  for (const auto& line : util::Split(body, '\n')) out += extra + line + "\n";
  return out;
}

const char* DifficultyName(int d) { return d == 1 ? "easy" : d == 2 ? "medium" : "hard"; }

}  // namespace

Candidate MakeLiveCodeBench(util::SplitMix64& rng, const Knobs& knobs) {
  int difficulty = Uniform(rng, knobs.min_steps, knobs.max_steps);
  std::vector<const CodeFamily*> fits;
  for (const auto& f : Families()) {
    if (f.difficulty == difficulty) fits.push_back(&f);
  }
  const CodeFamily& fam = *Pick(rng, fits);
  long k = Uniform(rng, fam.k_lo, fam.k_hi);
  bool functional = rng.Below(2) == 0;
  int max_len = 8 + 8 * difficulty;
  long max_value = knobs.max_value;

  auto make_array = [&](int lo_len, int hi_len) {
    Array a(Uniform(rng, lo_len, hi_len));
    for (auto& x : a) x = Uniform(rng, 1, static_cast<int>(max_value));
    return a;
  };
  std::vector<Array> public_inputs = {make_array(3, 6), make_array(4, 8)};
  std::vector<Array> private_inputs = {
      Array{static_cast<long>(Uniform(rng, 1, static_cast<int>(max_value)))}};
  for (int i = 0; i < 7; ++i) private_inputs.push_back(make_array(1, max_len));

  std::string body = Fill(fam.python, "", "", "", k);
  std::string content, starter, reference, title, metadata;
  std::function<std::string(const std::string&)> program;     // the solution program around a body
  std::function<std::string(const std::string&)> sample_run;  // a program run on sample 1, printing its answer
  std::string
      statement;  // the problem without its samples: the split key (samples are random draws)
  auto tests_json = [&](const std::vector<Array>& inputs) {
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& a : inputs) {
      std::string input = functional ? nlohmann::json(a).dump()
                                     : std::to_string(a.size()) + "\n" + JoinArray(a, " ") + "\n";
      std::string output = std::to_string(fam.solve(a, k)) + (functional ? "" : "\n");
      tests.push_back({{"input", input},
                       {"output", output},
                       {"testtype", functional ? "functional" : "stdin"}});
    }
    return tests;
  };
  if (functional) {
    title = std::string(fam.slug) + "-" + std::to_string(k);
    content = "You are given a 0-indexed integer array nums. " +
              Fill(fam.task, "nums", "nums[i]", "nums[j]", k) +
              "\nReturn the answer as an integer.\n";
    statement = "functional " + content;
    for (size_t i = 0; i < public_inputs.size(); ++i) {
      content += "\nExample " + std::to_string(i + 1) +
                 ":\n\nInput: nums = " + nlohmann::json(public_inputs[i]).dump() +
                 "\nOutput: " + std::to_string(fam.solve(public_inputs[i], k)) + "\n";
    }
    content += "\nConstraints:\n\n1 <= nums.length <= " + std::to_string(max_len) +
               "\n1 <= nums[i] <= " + std::to_string(max_value) + "\n";
    std::string signature =
        std::string("    def ") + fam.func + "(self, nums: List[int]) -> int:\n";
    starter = "class Solution:\n" + signature + "        ";
    program = [signature](const std::string& b) {
      return "from typing import List\n\nclass Solution:\n" + signature + "        a = nums\n" + Indent(b, "    ");
    };
    sample_run = [&fam, &public_inputs](const std::string& prog) {
      return prog + "print(Solution()." + fam.func + "(" + nlohmann::json(public_inputs[0]).dump() + "))\n";
    };
    metadata = nlohmann::json{{"func_name", fam.func}}.dump();
  } else {
    Person who = PickPeople(rng, 1)[0];
    static const std::vector<std::string> kThings = {"cards", "stones", "boxes",
                                                     "coins", "tiles",  "jars"};
    std::string things = Pick(rng, kThings);
    title = std::string(fam.title) + " " + std::to_string(k);
    content = who.name + " has N " + things +
              " in a row. The i-th of them has the integer A_i written on it.\n" +
              Fill(fam.task, "A", "A_i", "A_j", k);
    statement = "stdin " + content;
    content +=
        "\n\nInput\n\nThe input is given from Standard Input in the following format:\nN\nA_1 A_2 "
        "\\ldots A_N"
        "\n\nOutput\n\nPrint the answer as an integer.\n\nConstraints\n\n\n- 1 \\leq N \\leq " +
        std::to_string(max_len) + "\n- 1 \\leq A_i \\leq " + std::to_string(max_value) +
        "\n- All input values are integers.\n";
    for (size_t i = 0; i < public_inputs.size(); ++i) {
      std::string n = std::to_string(i + 1);
      content += "\nSample Input " + n + "\n\n" + std::to_string(public_inputs[i].size()) + "\n" +
                 JoinArray(public_inputs[i], " ") + "\n\nSample Output " + n + "\n\n" +
                 std::to_string(fam.solve(public_inputs[i], k)) + "\n";
    }
    program = [](const std::string& b) {
      return "import sys\n\ndef solve(a):\n" + b +
             "\n\ndef main():\n"
             "    data = sys.stdin.read().split()\n"
             "    n = int(data[0])\n"
             "    a = [int(x) for x in data[1:1 + n]]\n"
             "    print(solve(a))\n\nmain()\n";
    };
    // The sample's stdin given inline (a JSON string literal is a Python one for this ASCII text).
    sample_run = [&public_inputs](const std::string& prog) {
      const std::string input = std::to_string(public_inputs[0].size()) + "\n" + JoinArray(public_inputs[0], " ") + "\n";
      return "import io\nimport sys\nsys.stdin = io.StringIO(" + nlohmann::json(input).dump() + ")\n" + prog;
    };
    metadata = "{}";
  }

  reference = program(body);
  // START's debug trajectories (Candidate::code_check / code_repair); no draw from rng, so the problem
  // stream is the same with and without them.
  const std::string hint = kDebugHint;
  const std::string fence = "```python\n", close = "\n```";
  const long expected = fam.solve(public_inputs[0], k);
  const auto run_section = [&](const std::string& prog, long printed) {
    return "\n" + hint + "\n<code>\n" + sample_run(prog) + "</code>\n<output>\n" + std::to_string(printed) +
           "\n</output>\n";
  };
  Candidate c;
  c.code_check = fence + reference + close + run_section(reference, expected) +
                 "The output matches the sample output " + std::to_string(expected) + ".";
  for (long slip : {k + 1, k - 1, k + 2, k - 2}) {
    if (slip < fam.k_lo || slip > fam.k_hi) continue;
    const long printed = fam.solve(public_inputs[0], slip);
    if (printed == expected) continue;
    const std::string wrong = program(Fill(fam.python, "", "", "", slip));
    c.code_repair = fence + wrong + close + run_section(wrong, printed) + "The sample output is " +
                    std::to_string(expected) + ", not " + std::to_string(printed) + ". Let me fix the solution.\n" +
                    fence + reference + close;
    break;
  }

  char date[32];
  std::snprintf(date, sizeof date, "%04d-%02d-%02dT00:00:00", Uniform(rng, 2023, 2024),
                Uniform(rng, 1, 12), Uniform(rng, 1, 28));
  c.has_derivation = false;
  c.item.key = NormalizeForSplit(statement);
  c.item.gold = "";
  c.item.steps = difficulty;
  c.item.family = fam.slug;
  char id[32];
  std::snprintf(id, sizeof id, "synth-%08llx",
                static_cast<unsigned long long>(util::Fnv1a64(c.item.key) & 0xffffffffULL));
  c.item.record["question_title"] = title;
  c.item.record["question_content"] = content;
  c.item.record["platform"] = functional ? "leetcode" : "atcoder";
  c.item.record["question_id"] = id;
  c.item.record["contest_id"] = std::string("synth-") + DifficultyName(difficulty);
  c.item.record["contest_date"] = date;
  c.item.record["starter_code"] = starter;
  c.item.record["difficulty"] = DifficultyName(difficulty);
  c.item.record["public_test_cases"] = tests_json(public_inputs).dump();
  c.item.record["private_test_cases"] = tests_json(private_inputs).dump();
  c.item.record["metadata"] = metadata;
  c.item.record["reference_solution"] = reference;
  return c;
}

}  // namespace tasks::synth::internal
