// LiveCodeBench pieces other code may want: the shipped errata exclusion list.
#pragma once

#include <string>
#include <vector>

namespace tasks::loaders {

// Problems LiveCodeBench's ERRATA.md marks as not gradable as scraped (multiple accepted outputs,
// interactive, erroneous tests). Entries are question_ids (AtCoder "abc311_c") or, for LeetCode,
// title slugs ("find-the-peaks"), so exclusion matches either field.
const std::vector<std::string>& LcbErrataIds();

}  // namespace tasks::loaders
