// C-RLFT (OpenChat, Wang et al., arXiv:2309.11235, ICLR 2024). Mixed-quality data without preference
// labels: the data source is a coarse reward (expert r=1, sub-optimal r=alpha<1), and the policy is
// conditioned on the source through prompt tokens. The KL-regularised objective against the
// class-conditioned behaviour policy reduces to single-stage weighted SFT (paper §3.2; the official
// code's loss: token weight w_c on assistant tokens, loss = sum w*CE / sum w, w = 1.0 / 0.1):
//     max_theta  E_{(x,y,c) ~ D_c} [ w_c * log pi_theta(y | x, c) ]
// Inference uses the expert condition (paper Fig. 5 swaps it for the sub-optimal one).
// Facts: ../shared/research/method_anchors.md §1.
#pragma once

#include <string>
#include <vector>

#include "harness/util/config_fields.h"
#include "trainers/sft/sft_data.h"

namespace trainers {

struct CrlftOptions {
  // > Data: the generators' mixed-quality mode
  double expert_share = 0.1;        // share of problems whose solution is the expert's (OpenChat: ~6K of 70K)
  int suboptimal = 1;               // sub-optimal solutions per sub-optimal problem
  double wrong_rate = 0.5;          // probability a sub-optimal solution's answer is wrong
  std::vector<std::string> flaws;   // flaw kinds drawn (empty = all)
  bool include_suboptimal = true;   // false: train on the expert slice only
  // > Coarse reward and condition
  double expert_weight = 1.0;
  double suboptimal_weight = 0.1;
  bool condition = true;            // prefix every training prompt with its source's condition
  std::string condition_form = "token";  // token: <|gpt4|> / <|gpt3|>; text: "GPT4 User: " / "GPT3 User: "
  // > Evaluation
  std::string inference_condition = "expert";  // expert | suboptimal (used when condition is on)
};

const util::Fields<CrlftOptions>& CrlftOptionsFields();

// The condition prefix of a solution source ("expert" / "suboptimal") in a form.
std::string ConditionPrefix(const std::string& form, const std::string& source);

// Whether the problem with this record id is in the expert slice: a seeded hash below expert_share,
// independent of every other problem.
bool InExpertSlice(const std::string& record_id, uint64_t seed, double expert_share);

// The training texts of one data source (N-CoT generator source, rendered as evaluation renders
// prompts): each problem contributes its expert solution (expert slice) or its sub-optimal solutions,
// each with its source's weight and (when conditioned) prefix.
std::vector<TextExample> CrlftTexts(const DataSource& source, const CrlftOptions& options, const std::string& data_dir);

}  // namespace trainers
