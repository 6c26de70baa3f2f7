// START: the tool protocol, the hint library and the Hint-RFT filters (hand-made texts), and Hint-infer
// end to end on a "bigram" model whose weights make it write a chosen sequence, with real sandbox calls.
#include <gtest/gtest.h>

#include <map>
#include <torch/torch.h>

#include "trainers/generation/engine.h"
#include "trainers/model/llama.h"
#include "trainers/rl/rejection_sampling.h"
#include "trainers/start/hint_infer.h"
#include "trainers/start/tool_protocol.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::start {
namespace {

TEST(ToolProtocol, LastToolCodeTakesTheLastBlockWithoutMarkerNewlines) {
  struct Case {
    std::string text;
    std::optional<std::string> code;
  } cases[] = {
      {"no call", std::nullopt},
      {"x\n<code>\nprint(1)\n</code>", "print(1)"},
      {"<code>a=1</code> then <code>\nprint(2 * 3)\n</code>", "print(2 * 3)"},
      {"<code>\ns1 = 4\nprint(s1)\n", "s1 = 4\nprint(s1)"},  // not closed yet: up to the end
      {"<code></code>", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(LastToolCode(c.text), c.code) << c.text;
}

TEST(ToolProtocol, ClosingToolCodeNeedsAnOpenBlock) {
  EXPECT_EQ(ClosingToolCode("a\n<code>\nprint(1)\n</code>"), "print(1)");
  EXPECT_EQ(ClosingToolCode("<code>x=1</code>\n<output>\n</output>\nWait.\n</code>"), std::nullopt);
  EXPECT_EQ(ClosingToolCode("no block</code>"), std::nullopt);
  EXPECT_EQ(ClosingToolCode("<code>print(2)"), std::nullopt);  // not closing
}

TEST(ToolProtocol, OutputTextMatchesTheTrainingLayout) {
  EXPECT_EQ(ToolOutputText("444\n"), "\n<output>\n444\n</output>");
  EXPECT_EQ(ToolOutputText("444"), "\n<output>\n444\n</output>");
  EXPECT_EQ(ToolOutputText(""), "\n<output>\n</output>");
}

TEST(ToolProtocol, HintLibrary) {
  EXPECT_EQ(MathHints().front().text, "Wait, maybe using Python here is a good idea.");  // START v1 §2
  EXPECT_EQ(FindHint("debug").kind, "debug");
  EXPECT_THROW(FindHint("nope"), std::invalid_argument);
  const auto kinds = HintKinds();
  EXPECT_EQ(kinds.back(), "cycle");
  EXPECT_EQ(kinds.size(), MathHints().size() + 2);
}

TEST(HintRftFilters, SeedRuleRepetitionAndNormalisation) {
  // Keep only hinted-right and greedy-wrong.
  EXPECT_TRUE(KeepForHintRft(false, true));
  EXPECT_FALSE(KeepForHintRft(true, true));
  EXPECT_FALSE(KeepForHintRft(false, false));
  EXPECT_FALSE(KeepForHintRft(true, false));
  // Repetition: "a b c d" four times is > 3 repeats of a 4-gram; three times is not.
  EXPECT_TRUE(rl::HasRepeatedNgram("a b c d a b c d a b c d a b c d", 4, 3));
  EXPECT_FALSE(rl::HasRepeatedNgram("a b c d a b c d a b c d", 4, 3));
  EXPECT_FALSE(rl::HasRepeatedNgram("a b", 4, 0));
  // Stop hints become the canonical phrase; reflection hints stay as written.
  const std::string text =
      "The answer is 5.\nWait, let me check the calculation with Python.\n<code>print(6)</code>\n"
      "The answer is 6.\nWait, let me check again.";
  std::vector<InsertedHint> hints = {{"self-check", "Wait, let me check the calculation with Python.", "stop", 1},
                                     {"logic", ", let me check again.", "reflection", 1}};
  EXPECT_EQ(NormalizeHints(text, hints, "Wait, maybe using Python here is a good idea."),
            "The answer is 5.\nWait, maybe using Python here is a good idea.\n<code>print(6)</code>\n"
            "The answer is 6.\nWait, let me check again.");
}

// A model that writes a fixed successor for each token: every layer's weights are zero, so the final
// hidden state is the (normalised) embedding; token t's embedding is the unit vector of its slot and
// lm_head maps that slot to next[t]. Tokens outside `next` continue with EOS.
LlamaForCausalLM BigramModel(const tokenizer::Tokenizer& tok, const std::map<int, int>& next) {
  ModelConfig c;
  c.vocab_size = tok.vocab_size();
  c.hidden_size = 32, c.intermediate_size = 32, c.num_hidden_layers = 1;
  c.num_attention_heads = 2, c.num_key_value_heads = 1, c.max_position_embeddings = 256;
  LlamaForCausalLM model = BuildModel(c, RuntimeConfig{"cpu", "float32", 1}, 1);
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    p.value().zero_();
    if (p.key().find("norm") != std::string::npos) p.value().fill_(1.0);
  }
  auto params = model->named_parameters();
  at::Tensor embed = params["model.embed_tokens.weight"], head = params["lm_head.weight"];
  const int other = c.hidden_size - 1;
  embed.select(1, other).fill_(1.0);  // every token not in `next`: slot `other` -> EOS
  head[tok.eos_id()][other] = 10.0;
  int slot = 0;
  for (const auto& [from, to] : next) {
    embed[from].zero_();
    embed[from][slot] = 1.0;
    head[to][slot] = 10.0;
    ++slot;
  }
  return model;
}

struct Scripted {
  tokenizer::Tokenizer tok = tokenizer::Tokenizer::ByteLevel(tokenizer::DefaultSpecialTokens());
  int Id(const std::string& piece) const {
    const int special = tok.TokenId(piece);
    if (special >= 0) return special;
    return tok.Encode(piece).at(0);
  }
  // next[a] = b for each consecutive pair of pieces.
  std::map<int, int> Chain(const std::vector<std::string>& pieces) const {
    std::map<int, int> next;
    for (size_t i = 0; i + 1 < pieces.size(); ++i) next[Id(pieces[i])] = Id(pieces[i + 1]);
    return next;
  }
};

GenerateRequest Greedy(const Scripted& s, const std::string& prompt) {
  GenerateRequest r;
  r.prompt = {s.Id(prompt)};
  r.max_new_tokens = 80;
  r.stop_token_ids = {s.tok.eos_id()};
  return r;
}

// Q -> <code>print(7)</code> -> (tool) </output> -> A -> EOS; a hint's last token "\n" leads back to <code>.
std::map<int, int> ToolScript(const Scripted& s) {
  auto next = s.Chain({"Q", "<code>", "p", "r", "i", "n", "t", "(", "7", ")", "</code>"});
  next[s.Id("</output>")] = s.Id("A");
  next[s.Id("A")] = s.tok.eos_id();
  next[s.Id("\n")] = s.Id("<code>");
  return next;
}

TEST(HintInfer, ToolCallsRunInTheSandboxAndHintsReplaceEos) {
  Scripted s;
  Engine engine(BigramModel(s.tok, ToolScript(s)),
                [&](const std::vector<int>& ids, bool skip) { return s.tok.Decode(ids, skip); });
  HintInferOptions options;
  options.rounds = 1;
  options.hint = "calculation";
  ToolGeneration g = GenerateWithTools(engine, s.tok, {Greedy(s, "Q")}, options);
  const Trajectory& t = g.trajectories.at(0).at(0);
  const std::string call = "<code>print(7)</code>\n<output>\n7\n</output>A";
  EXPECT_EQ(t.text, call + "\nWait, maybe using Python here is a good idea.\n" + call);
  ASSERT_EQ(t.calls.size(), 2u);
  EXPECT_EQ(t.calls[0].code, "print(7)");
  EXPECT_EQ(t.calls[0].output, "7\n");
  EXPECT_EQ(t.calls[0].status, "passed");
  EXPECT_EQ(t.calls[0].round, 0);
  EXPECT_EQ(t.calls[1].round, 1);
  ASSERT_EQ(t.hints.size(), 1u);
  EXPECT_EQ(t.hints[0].where, "stop");
  EXPECT_EQ(t.hint_rounds, 1);
  EXPECT_FALSE(t.truncated_calls);
  EXPECT_EQ(g.tool_calls, 2);
  const Completion& c = g.results[0].completions[0];
  EXPECT_EQ(c.finish_reason, "stop");
  // Tool output and hint tokens are appended (not generated); the replaced EOS is gone.
  EXPECT_EQ(std::count(c.token_ids.begin(), c.token_ids.end(), s.tok.eos_id()), 1);
  EXPECT_EQ(c.generated[c.token_ids.size() - 2], 1);  // "A" sampled
  const std::vector<int> output_open = {s.Id("<output>")};
  const auto at = std::find(c.token_ids.begin(), c.token_ids.end(), output_open[0]) - c.token_ids.begin();
  EXPECT_EQ(c.generated[at], 0);

  // Zero rounds: the tool protocol alone; one call, the first EOS ends it.
  options.rounds = 0;
  g = GenerateWithTools(engine, s.tok, {Greedy(s, "Q")}, options);
  EXPECT_EQ(g.trajectories[0][0].text, call);
  EXPECT_EQ(g.trajectories[0][0].hints.size(), 0u);
}

TEST(HintInfer, CapRefusesCallsBeyondTheLimit) {
  Scripted s;
  Engine engine(BigramModel(s.tok, ToolScript(s)),
                [&](const std::vector<int>& ids, bool skip) { return s.tok.Decode(ids, skip); });
  HintInferOptions options;
  options.rounds = 2;
  options.max_tool_calls = 1;
  ToolGeneration g = GenerateWithTools(engine, s.tok, {Greedy(s, "Q"), Greedy(s, "Q")}, options);
  for (const auto& per : g.trajectories) {
    const Trajectory& t = per.at(0);
    ASSERT_EQ(t.calls.size(), 3u);
    EXPECT_EQ(t.calls[0].status, "passed");
    EXPECT_EQ(t.calls[1].status, "limit");
    EXPECT_EQ(t.calls[2].output, "tool call limit reached");
    EXPECT_TRUE(t.truncated_calls);
    EXPECT_EQ(t.hint_rounds, 2);
    // "cycle" hints: round 1 the calculation hint, round 2 the self-check hint.
    EXPECT_EQ(t.hints[1].kind, MathHints()[1].kind);
    EXPECT_NE(t.text.find("\n<output>\ntool call limit reached\n</output>"), std::string::npos);
  }
  EXPECT_EQ(g.tool_calls, 2);  // only executed calls count
}

TEST(HintInfer, CloseWithoutOpenRunsNothing) {
  Scripted s;
  auto next = s.Chain({"Q", "X", "</code>"});
  next[s.Id("</output>")] = s.tok.eos_id();
  Engine engine(BigramModel(s.tok, next), [&](const std::vector<int>& ids, bool skip) { return s.tok.Decode(ids, skip); });
  HintInferOptions options;
  options.rounds = 0;
  ToolGeneration g = GenerateWithTools(engine, s.tok, {Greedy(s, "Q")}, options);
  const Trajectory& t = g.trajectories[0][0];
  EXPECT_EQ(t.text, "X</code>\n<output>\nerror: </code> without <code>\n</output>");
  ASSERT_EQ(t.calls.size(), 1u);
  EXPECT_EQ(t.calls[0].status, "no_code");
  EXPECT_EQ(g.tool_calls, 0);
}

TEST(HintInfer, ReflectionHintCompletesTheModelsWait) {
  Scripted s;
  auto next = s.Chain({"Q", "W", "a", "i", "t"});
  next[s.Id("t")] = s.tok.eos_id();
  next[s.Id("\n")] = s.tok.eos_id();
  Engine engine(BigramModel(s.tok, next), [&](const std::vector<int>& ids, bool skip) { return s.tok.Decode(ids, skip); });
  HintInferOptions options;
  options.rounds = 0;
  options.reflection = true;
  options.hint = "calculation";
  ToolGeneration g = GenerateWithTools(engine, s.tok, {Greedy(s, "Q")}, options);
  const Trajectory& t = g.trajectories[0][0];
  EXPECT_EQ(t.text, "Wait, maybe using Python here is a good idea.\n");
  ASSERT_EQ(t.hints.size(), 1u);
  EXPECT_EQ(t.hints[0].where, "reflection");
  // Without the option the word passes through and the sequence ends at its EOS.
  options.reflection = false;
  g = GenerateWithTools(engine, s.tok, {Greedy(s, "Q")}, options);
  EXPECT_EQ(g.trajectories[0][0].text, "Wait");
}

}  // namespace
}  // namespace trainers::start
