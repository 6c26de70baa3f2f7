// Byte-level BPE training. Words (pre-tokens) are counted once; each merge then touches only the
// words that contain the merged pair (an index pair -> words), updating pair counts incrementally.
// The best pair comes from a max-heap with lazy invalidation: stale entries are re-pushed with their
// current count when popped.
#include <algorithm>
#include <queue>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "harness/util/error.h"
#include "trainers/tokenizer/byte_level.h"
#include "trainers/tokenizer/pretokenize.h"
#include "trainers/tokenizer/tokenizer.h"

namespace tokenizer {
namespace {

uint64_t Key(int a, int b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
int KeyLeft(uint64_t k) { return static_cast<int>(k >> 32); }
int KeyRight(uint64_t k) { return static_cast<int>(k & 0xFFFFFFFFu); }

struct HeapEntry {
  int64_t count;
  uint64_t pair;
};

// Orders entries so the heap top is the highest count, ties going to the smallest
// (left bytes, right bytes); the order never depends on hash-map iteration.
struct HeapLess {
  const std::vector<std::string>* bytes;
  bool operator()(const HeapEntry& x, const HeapEntry& y) const {
    if (x.count != y.count) return x.count < y.count;
    const std::string& xl = (*bytes)[KeyLeft(x.pair)];
    const std::string& yl = (*bytes)[KeyLeft(y.pair)];
    if (xl != yl) return xl > yl;
    return (*bytes)[KeyRight(x.pair)] > (*bytes)[KeyRight(y.pair)];
  }
};

// Counts the pre-tokens of `text`, skipping occurrences of special tokens (they are never merged).
void CountWords(std::string_view text, const std::vector<std::string>& specials,
                std::unordered_map<std::string_view, int64_t>* counts) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  size_t pos = 0;
  const auto flush = [&](size_t end) {
    pieces.clear();
    SplitGpt2(text.substr(start, end - start), &pieces);
    for (std::string_view p : pieces) ++(*counts)[p];
  };
  while (pos < text.size()) {
    size_t best = 0;
    for (const std::string& s : specials) {
      if (s.size() > best && text.compare(pos, s.size(), s) == 0) best = s.size();
    }
    if (best == 0) {
      ++pos;
      continue;
    }
    flush(pos);
    pos += best;
    start = pos;
  }
  flush(text.size());
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Tokenizer TrainBpe(const std::vector<std::string>& texts, int vocab_size,
                   const std::vector<std::string>& special_tokens, const BpeOptions& options) {
  const int num_special = static_cast<int>(special_tokens.size());
  if (vocab_size < num_special + 256) {
    throw util::InputError(util::Location{"", 0, "vocab_size"},
                           "vocab size " + std::to_string(vocab_size) + " is below the " +
                               std::to_string(num_special + 256) +
                               " needed for the special tokens and the 256 byte tokens");
  }
  std::unordered_set<std::string> seen;
  for (const std::string& s : special_tokens) {
    if (s.empty() || !seen.insert(s).second) {
      throw util::InputError(util::Location{"", 0, "special_tokens"},
                             "special token '" + s + "' is empty or listed twice");
    }
  }

  Tokenizer::Parts parts;
  std::vector<std::string> bytes;  // raw bytes of each id (specials: their text, never compared)
  for (const std::string& s : special_tokens) {
    parts.added_ids.push_back(static_cast<int>(parts.vocab.size()));
    parts.special_ids.push_back(static_cast<int>(parts.vocab.size()));
    parts.vocab.push_back(s);
    bytes.push_back(s);
  }
  for (int b = 0; b < 256; ++b) {
    parts.vocab.push_back(ByteToUnicode(static_cast<unsigned char>(b)));
    bytes.push_back(std::string(1, static_cast<char>(b)));
  }
  std::unordered_map<std::string, int> token_ids;
  for (int id = 0; id < static_cast<int>(parts.vocab.size()); ++id) token_ids[parts.vocab[id]] = id;

  std::unordered_map<std::string_view, int64_t> word_counts;
  for (const std::string& text : texts) CountWords(text, special_tokens, &word_counts);
  // Sorted so that word indices (and so everything after) do not depend on hash order.
  std::vector<std::pair<std::string_view, int64_t>> sorted(word_counts.begin(), word_counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int>> words;
  std::vector<int64_t> freq;
  words.reserve(sorted.size());
  const auto add_word = [&](std::string_view word, int64_t count) {
    if (word.size() < 2) return;  // a single byte has no pair
    std::vector<int> symbols(word.size());
    for (size_t i = 0; i < word.size(); ++i) {
      symbols[i] = num_special + static_cast<unsigned char>(word[i]);
    }
    words.push_back(std::move(symbols));
    freq.push_back(count);
  };
  for (const auto& [word, count] : sorted) {
    if (!options.split_digits) {
      add_word(word, count);
      continue;
    }
    // Digits never take part in a merge: train on the digit-free runs only. Encoding needs no
    // special rule, since no merge in the result contains a digit.
    size_t run = 0;
    for (size_t i = 0; i <= word.size(); ++i) {
      if (i == word.size() || IsAsciiDigit(word[i])) {
        add_word(word.substr(run, i - run), count);
        run = i + 1;
      }
    }
  }

  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int>> pair_words;
  for (int w = 0; w < static_cast<int>(words.size()); ++w) {
    for (size_t i = 0; i + 1 < words[w].size(); ++i) {
      const uint64_t k = Key(words[w][i], words[w][i + 1]);
      pair_count[k] += freq[w];
      std::vector<int>& list = pair_words[k];
      if (list.empty() || list.back() != w) list.push_back(w);
    }
  }
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, HeapLess> heap(HeapLess{&bytes});
  {
    std::vector<uint64_t> keys;
    keys.reserve(pair_count.size());
    for (const auto& [k, c] : pair_count) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (uint64_t k : keys) heap.push({pair_count[k], k});
  }

  std::vector<int> last_seen(words.size(), -1);
  std::vector<int> merged;
  int step = 0;
  while (static_cast<int>(parts.vocab.size()) < vocab_size && !heap.empty()) {
    const HeapEntry top = heap.top();
    heap.pop();
    auto found = pair_count.find(top.pair);
    const int64_t current = found == pair_count.end() ? 0 : found->second;
    if (current != top.count) {
      if (current > 0) heap.push({current, top.pair});
      continue;
    }
    if (current < 2) break;  // every remaining pair occurs once: merging would only memorise
    const int a = KeyLeft(top.pair);
    const int b = KeyRight(top.pair);
    const std::string token = parts.vocab[a] + parts.vocab[b];
    int new_id;
    auto existing = token_ids.find(token);
    if (existing != token_ids.end()) {
      new_id = existing->second;  // same bytes reached through another split: reuse, as HF does
    } else {
      new_id = static_cast<int>(parts.vocab.size());
      parts.vocab.push_back(token);
      bytes.push_back(bytes[a] + bytes[b]);
      token_ids.emplace(token, new_id);
    }
    parts.merges.emplace_back(a, b);

    std::vector<int> affected = std::move(pair_words[top.pair]);
    pair_words.erase(top.pair);
    pair_count.erase(top.pair);
    std::vector<uint64_t> new_pairs;
    for (int w : affected) {
      if (last_seen[w] == step) continue;
      last_seen[w] = step;
      std::vector<int>& sym = words[w];
      const int64_t f = freq[w];
      // Merge left to right; adjust the counts of the neighbours that change.
      merged.clear();
      bool any = false;
      for (size_t i = 0; i < sym.size(); ++i) {
        if (i + 1 < sym.size() && sym[i] == a && sym[i + 1] == b) {
          any = true;
          merged.push_back(new_id);
          ++i;
        } else {
          merged.push_back(sym[i]);
        }
      }
      if (!any) continue;  // stale index entry
      const auto adjust = [&](uint64_t k, int64_t delta) {
        if (k == top.pair) return;  // already removed
        auto it = pair_count.find(k);
        if (it == pair_count.end()) {
          pair_count.emplace(k, delta);
        } else if ((it->second += delta) == 0) {
          pair_count.erase(it);
        }
      };
      for (size_t i = 0; i + 1 < sym.size(); ++i) adjust(Key(sym[i], sym[i + 1]), -f);
      for (size_t i = 0; i + 1 < merged.size(); ++i) {
        const uint64_t k = Key(merged[i], merged[i + 1]);
        adjust(k, f);
        if (merged[i] == new_id || merged[i + 1] == new_id) {
          std::vector<int>& list = pair_words[k];
          if (list.empty() || list.back() != w) list.push_back(w);
          new_pairs.push_back(k);
        }
      }
      sym.swap(merged);
    }
    std::sort(new_pairs.begin(), new_pairs.end());
    new_pairs.erase(std::unique(new_pairs.begin(), new_pairs.end()), new_pairs.end());
    for (uint64_t k : new_pairs) {
      auto it = pair_count.find(k);
      if (it != pair_count.end()) heap.push({it->second, k});
    }
    ++step;
  }
  try {
    return Tokenizer::FromParts(std::move(parts));
  } catch (const std::invalid_argument& e) {  // e.g. a special token equal to a byte token ("a")
    throw util::InputError(util::Location{"", 0, "special_tokens"}, e.what());
  }
}

}  // namespace tokenizer
