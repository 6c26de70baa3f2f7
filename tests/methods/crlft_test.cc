// C-RLFT: the mixed-quality data carries each solution source's weight and condition, and they reach the
// loss exactly; the inference condition changes the prompt tokens; the options reject bad values.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <algorithm>
#include <map>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "trainers/crlft/crlft.h"
#include "trainers/methods/registry.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_loss.h"
#include "trainers/tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("crlft_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

trainers::DataSource Gsm8k(int n) {
  trainers::DataSource s;
  s.task = "gsm8k";
  s.synthetic_n = n;
  s.synthetic_seed = 11;
  s.steps = 2;
  return s;
}

TEST(CrlftData, EachSolutionSourceCarriesItsWeightAndCondition) {
  trainers::CrlftOptions o;
  o.expert_share = 0.3;
  o.suboptimal = 2;
  const auto texts = trainers::CrlftTexts(Gsm8k(60), o, TempDir("data"));
  int expert = 0, suboptimal = 0;
  for (const auto& t : texts) {
    if (t.source == "gsm8k:expert") {
      ++expert;
      EXPECT_EQ(t.weight, 1.0);
      EXPECT_EQ(t.prompt.rfind("<|gpt4|>", 0), 0u);
    } else {
      ASSERT_EQ(t.source, "gsm8k:suboptimal");
      ++suboptimal;
      EXPECT_EQ(t.weight, 0.1);
      EXPECT_EQ(t.prompt.rfind("<|gpt3|>", 0), 0u);
    }
  }
  // Each problem is in exactly one slice: one expert text, or `suboptimal` sub-optimal texts.
  EXPECT_EQ(expert + suboptimal / 2, 60);
  EXPECT_EQ(suboptimal % 2, 0);
  EXPECT_GT(expert, 8);   // about 18 of 60
  EXPECT_LT(expert, 30);

  // Arm (b): the expert slice alone, unconditioned.
  o.include_suboptimal = false;
  o.condition = false;
  const auto only = trainers::CrlftTexts(Gsm8k(60), o, TempDir("data_b"));
  EXPECT_EQ(static_cast<int>(only.size()), expert);
  for (const auto& t : only) EXPECT_EQ(t.prompt.find("<|"), std::string::npos);
  // The text form uses OpenChat's role prefixes.
  o.condition = true;
  o.include_suboptimal = true;
  o.condition_form = "text";
  for (const auto& t : trainers::CrlftTexts(Gsm8k(20), o, TempDir("data_text"))) {
    EXPECT_EQ(t.prompt.rfind(t.source == "gsm8k:expert" ? "GPT4 User: " : "GPT3 User: ", 0), 0u);
  }
}

// A hand-computed two-example batch: an expert example (weight 1) and a sub-optimal one (weight 0.1),
// each starting with its condition token; the loss is sum(w * CE over completion tokens) / sum(w * count).
TEST(CrlftLoss, ConditionTokensAndSourceWeightsReachTheLossExactly) {
  const std::vector<std::string> specials = tokenizer::DefaultSpecialTokens();  // hold <|gpt4|>, <|gpt3|>
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::ByteLevel(specials);
  std::vector<trainers::TextExample> texts = {{"<|gpt4|>Q: 1+1?\n", "2", 1.0, "t:expert"},
                                              {"<|gpt3|>Q: 2+2?\n", "5", 0.1, "t:suboptimal"}};
  const trainers::TokenizedSet set = trainers::TokenizeExamples(texts, tok, 64);
  ASSERT_EQ(set.examples.size(), 2u);
  // bos, then the condition token as one id.
  EXPECT_EQ(set.examples[0].ids[1], tok.TokenId("<|gpt4|>"));
  EXPECT_EQ(set.examples[1].ids[1], tok.TokenId("<|gpt3|>"));
  EXPECT_EQ(set.examples[0].weight, 1.0);
  EXPECT_EQ(set.examples[1].weight, 0.1);

  const int64_t T = std::max(set.examples[0].ids.size(), set.examples[1].ids.size());
  const int64_t V = tok.vocab_size();
  torch::Tensor ids = torch::zeros({2, T}, torch::kLong), target = torch::zeros({2, T}, torch::kUInt8);
  for (int b = 0; b < 2; ++b) {
    for (size_t t = 0; t < set.examples[b].ids.size(); ++t) {
      ids[b][t] = set.examples[b].ids[t];
      target[b][t] = set.examples[b].target[t];
    }
  }
  torch::manual_seed(3);
  torch::Tensor logits = torch::randn({2, T, V}, torch::kDouble).to(torch::kFloat);
  torch::Tensor weights = torch::tensor({1.0f, 0.1f});
  double denominator = 0;
  const double loss =
      trainers::WeightedCompletionLossSum(logits, ids, target, weights, &denominator).item<double>() / denominator;
  // By hand: every completion token (the answer digit and eos) predicted from the position before it.
  double sum = 0, count = 0;
  for (int b = 0; b < 2; ++b) {
    const double w = b == 0 ? 1.0 : 0.1;
    const auto& e = set.examples[b];
    for (size_t t = 1; t < e.ids.size(); ++t) {
      if (!e.target[t]) continue;
      double z = 0;
      for (int64_t v = 0; v < V; ++v) z += std::exp(logits[b][t - 1][v].item<double>());
      sum += w * (std::log(z) - logits[b][t - 1][e.ids[t]].item<double>());
      count += w;
    }
  }
  EXPECT_NEAR(count, 2 * 1.0 + 2 * 0.1, 1e-6);  // "2"+eos and "5"+eos
  EXPECT_NEAR(denominator, count, 1e-6);
  EXPECT_NEAR(loss, sum / count, 1e-5);
}

TEST(CrlftEval, InferenceConditionSwitchChangesThePromptTokens) {
  const trainers::Method& e = trainers::FindMethod("crlft");
  const trainers::Method& e_prime = trainers::FindMethod("crlft-sub-condition");
  const trainers::Method& a = trainers::FindMethod("crlft-sft-all");
  const std::string pe = e.Evaluation(e.ResolveOptions({}, "t")).prompt_prefix;
  const std::string pp = e_prime.Evaluation(e_prime.ResolveOptions({}, "t")).prompt_prefix;
  EXPECT_EQ(pe, "<|gpt4|>");
  EXPECT_EQ(pp, "<|gpt3|>");
  EXPECT_EQ(a.Evaluation(a.ResolveOptions({}, "t")).prompt_prefix, "");
  // Same training inputs for (e) and (e'), different for (a).
  EXPECT_EQ(e.TrainingOptions(e.ResolveOptions({}, "t")), e_prime.TrainingOptions(e_prime.ResolveOptions({}, "t")));
  EXPECT_NE(e.TrainingOptions(e.ResolveOptions({}, "t")), a.TrainingOptions(a.ResolveOptions({}, "t")));
  std::vector<std::string> specials = tokenizer::DefaultSpecialTokens();
  for (const auto& s : e.SpecialTokens(e.ResolveOptions({}, "t"))) {
    EXPECT_NE(std::find(specials.begin(), specials.end(), s), specials.end()) << s;
  }
  const tokenizer::Tokenizer tok = tokenizer::Tokenizer::ByteLevel(specials);
  const auto with_e = tok.Encode(pe + "Question: 1+1?"), with_p = tok.Encode(pp + "Question: 1+1?");
  EXPECT_EQ(with_e.front(), tok.TokenId("<|gpt4|>"));
  EXPECT_EQ(with_p.front(), tok.TokenId("<|gpt3|>"));
  EXPECT_EQ(std::vector<int>(with_e.begin() + 1, with_e.end()), std::vector<int>(with_p.begin() + 1, with_p.end()));
}

TEST(CrlftOptions, RejectEachBadField) {
  const trainers::Method& m = trainers::FindMethod("crlft");
  struct Case {
    nlohmann::json section;
    std::string field;
  } cases[] = {
      {{{"expert_share", 1.5}}, "crlft.expert_share"},
      {{{"suboptimal", 0}}, "crlft.suboptimal"},
      {{{"wrong_rate", -0.1}}, "crlft.wrong_rate"},
      {{{"flaws", {"typo"}}}, "crlft.flaws"},
      {{{"flaws", {"arithmetic_slip"}}}, "crlft.flaws"},  // wrong_rate 0.5 also needs right-answer flaws
      {{{"expert_weight", -1.0}}, "crlft.expert_weight"},
      {{{"expert_weight", 0.0}, {"suboptimal_weight", 0.0}}, "crlft.expert_weight"},
      {{{"condition", "yes"}}, "crlft.condition"},
      {{{"condition_form", "prefix"}}, "crlft.condition_form"},
      {{{"inference_condition", "none"}}, "crlft.inference_condition"},
      {{{"expert_sahre", 0.2}}, "crlft.expert_sahre"},
  };
  for (const auto& c : cases) {
    try {
      m.ResolveOptions(c.section, "exp.json");
      ADD_FAILURE() << c.section;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
    }
  }
  EXPECT_NO_THROW(m.ResolveOptions({{"flaws", {"arithmetic_slip", "sloppy_format"}}}, "exp.json"));
}

}  // namespace
