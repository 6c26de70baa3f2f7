// AGIEval's own few-shot prompt (ruixiangcui/AGIEval, src/dataset_loader.py: combine_prompt and
// convert_few_shot, few-shot with explanations), built from its data/few_shot_prompts.csv.
#pragma once

#include <string>

#include "tasks/record.h"

namespace tasks::loaders {

// The few-shot prompt for `record` (an AGIEval record; its variant names the subset).
// Demonstrations come from the column of the subset in `csv_path` (sat-en-without-passage uses
// sat-en's, without passages), each "Problem i.   passage question\nChoose from the following
// options:    (A).. (B)..\n Explanation for Problem i:   ...\nThe answer is therefore X\n" (Chinese
// subsets: 问题 i / 从以下选项中选择 / 问题 i的解析 / 答案是; cloze subsets: no options, the answer
// instead of the label), then the record as problem n+1 without explanation, as AGIEval does. The
// parsed file is cached per path. Throws util::InputError naming the CSV, row and column for a
// missing column or an unparseable cell.
std::string AgievalFewShotPrompt(const Record& record, const std::string& csv_path);

}  // namespace tasks::loaders
