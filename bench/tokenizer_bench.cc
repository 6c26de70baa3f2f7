// Tokenizer throughput: BPE training time on a few-MB corpus, and encode tokens/s of a trained
// tokenizer against the plain byte-level baseline in the same run. Corpus: GSM8K train questions and
// answers from the shared data when present, else a seeded shuffle of the test fixture's lines.
//
// bench/CMakeLists.txt links only tasks/reports/sandbox/harness_util, so the tokenizer's sources are
// compiled into this binary directly (if `tokenizer` is ever linked too, the archive members are not
// pulled because every symbol is already defined here).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>

#include <string>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "trainers/tokenizer/bpe_trainer.cc"
#include "trainers/tokenizer/byte_level.cc"
#include "trainers/tokenizer/chat_template.cc"
#include "trainers/tokenizer/pretokenize.cc"
#include "trainers/tokenizer/tokenizer.cc"
#include "trainers/tokenizer/tokenizer_json.cc"
#include "trainers/tokenizer/unicode_classes.cc"
#include "trainers/tokenizer/unicode_table.cc"

namespace {

struct Corpus {
  std::string source;
  std::vector<std::string> texts;
  size_t bytes = 0;
};

const Corpus& GetCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    const std::string gsm8k = std::string(HARNESS_SHARED_DATA) + "/gsm8k/train.jsonl";
    if (util::FileExists(gsm8k)) {
      c.source = "gsm8k/train.jsonl";
      for (const util::JsonLine& row : util::ReadJsonLines(gsm8k)) {
        const util::Location where{gsm8k, row.line, ""};
        c.texts.push_back(util::RequireString(row.value, "question", where) + "\n" +
                          util::RequireString(row.value, "answer", where));
      }
    } else {
      c.source = "fixture lines, shuffled";
      const std::vector<std::string> lines = util::Split(
          util::ReadFile(std::string(HARNESS_SOURCE_DIR) + "/tests/fixtures/tokenizer/train_corpus.txt"),
          '\n');
      util::SplitMix64 rng(1);
      while (c.bytes < (3u << 20)) {
        std::string doc;
        for (int i = 0; i < 8; ++i) doc += lines[rng.Below(lines.size())] + "\n";
        c.bytes += doc.size();
        c.texts.push_back(std::move(doc));
      }
    }
    c.bytes = 0;
    for (const auto& t : c.texts) c.bytes += t.size();
    return c;
  }();
  return corpus;
}

const tokenizer::Tokenizer& Trained() {
  static const tokenizer::Tokenizer t =
      tokenizer::TrainBpe(GetCorpus().texts, 4096, tokenizer::DefaultSpecialTokens());
  return t;
}

const tokenizer::Tokenizer& ByteLevel() {
  static const tokenizer::Tokenizer t =
      tokenizer::Tokenizer::ByteLevel(tokenizer::DefaultSpecialTokens());
  return t;
}

void BM_TrainBpe(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  for (auto _ : state) {
    tokenizer::Tokenizer t = tokenizer::TrainBpe(c.texts, static_cast<int>(state.range(0)),
                                                 tokenizer::DefaultSpecialTokens());
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetLabel(c.source);
}
BENCHMARK(BM_TrainBpe)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond)->Iterations(1);

void EncodeAll(benchmark::State& state, const tokenizer::Tokenizer& tok) {
  const Corpus& c = GetCorpus();
  size_t tokens = 0;
  for (auto _ : state) {
    for (const std::string& text : c.texts) tokens += tok.Encode(text).size();
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["bytes/token"] =
      static_cast<double>(c.bytes * state.iterations()) / static_cast<double>(tokens);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetLabel(c.source);
}

// Warm: the pre-token cache is filled by the first iteration (what training-data encoding sees).
void BM_EncodeTrained(benchmark::State& state) {
  Trained();
  EncodeAll(state, Trained());
}
BENCHMARK(BM_EncodeTrained)->Unit(benchmark::kMillisecond);

// Cold: a fresh tokenizer (empty cache) each iteration, so every distinct pre-token runs BPE once.
void BM_EncodeTrainedColdCache(benchmark::State& state) {
  const std::string json = Trained().ToJson();
  const std::string path = "/tmp/tokenizer_bench_" + std::to_string(getpid()) + ".json";
  util::WriteFileAtomic(path, json);
  const Corpus& c = GetCorpus();
  size_t tokens = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const tokenizer::Tokenizer fresh = tokenizer::Tokenizer::Load(path);
    state.ResumeTiming();
    for (const std::string& text : c.texts) tokens += fresh.Encode(text).size();
  }
  std::remove(path.c_str());
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_EncodeTrainedColdCache)->Unit(benchmark::kMillisecond);

void BM_EncodeByteLevel(benchmark::State& state) { EncodeAll(state, ByteLevel()); }
BENCHMARK(BM_EncodeByteLevel)->Unit(benchmark::kMillisecond);

void BM_Decode(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  std::vector<std::vector<int>> ids;
  for (const std::string& text : c.texts) ids.push_back(Trained().Encode(text));
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& v : ids) {
      benchmark::DoNotOptimize(Trained().Decode(v));
      tokens += v.size();
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
