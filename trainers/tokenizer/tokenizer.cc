// Tokenizer construction, encoding (added-token split, GPT-2 pre-tokenization, BPE by merge rank,
// as HF's BPE model does it) and decoding (HF's ByteLevel decoder, per token).
#include "trainers/tokenizer/tokenizer.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <queue>
#include <stdexcept>

#include "harness/util/error.h"
#include "trainers/tokenizer/byte_level.h"
#include "trainers/tokenizer/pretokenize.h"
#include "trainers/tokenizer/unicode_classes.h"

namespace tokenizer {

// Memo of pre-token -> ids. Most text repeats a small set of words, so this turns BPE into a hash
// lookup. Keys are views into an arena the cache owns, so a lookup allocates nothing. Bounded:
// cleared when full, which keeps memory flat on adversarial input.
class EncodeCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 18;
  static constexpr size_t kMaxPieceBytes = 128;

  bool Lookup(std::string_view piece, std::vector<int>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(piece);
    if (it == map_.end()) return false;
    out->insert(out->end(), it->second.begin(), it->second.end());
    return true;
  }
  void Insert(std::string_view piece, const int* ids, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kMaxEntries) {
      map_.clear();
      keys_.clear();
    }
    if (map_.count(piece)) return;
    keys_.emplace_back(piece);  // deque: existing strings never move
    map_.emplace(keys_.back(), std::vector<int>(ids, ids + n));
  }

 private:
  std::mutex mu_;
  std::deque<std::string> keys_;
  std::unordered_map<std::string_view, std::vector<int>> map_;
};

namespace {

uint64_t PairKey(int a, int b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

int FirstPresent(const Tokenizer& t, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const int id = t.TokenId(name);
    if (id >= 0) return id;
  }
  return -1;
}

}  // namespace

Tokenizer Tokenizer::FromParts(Parts parts) {
  Tokenizer t;
  const int n = static_cast<int>(parts.vocab.size());
  t.id_to_token_ = std::move(parts.vocab);
  t.is_special_.assign(n, false);
  t.is_added_.assign(n, false);
  t.ignore_merges_ = parts.ignore_merges;
  t.token_to_id_.reserve(n);
  for (int id = 0; id < n; ++id) {
    if (!t.token_to_id_.emplace(t.id_to_token_[id], id).second) {
      throw std::invalid_argument("token '" + t.id_to_token_[id] + "' appears twice (ids " +
                                  std::to_string(t.token_to_id_[t.id_to_token_[id]]) + " and " +
                                  std::to_string(id) + ")");
    }
  }
  const auto check_id = [n](int id, const char* what) {
    if (id < 0 || id >= n) {
      throw std::invalid_argument(std::string(what) + " id " + std::to_string(id) +
                                  " is outside the vocabulary of " + std::to_string(n));
    }
  };
  for (int id : parts.added_ids) {
    check_id(id, "added token");
    if (t.id_to_token_[id].empty()) throw std::invalid_argument("added token is empty");
    if (!IsValidUtf8(t.id_to_token_[id])) {
      throw std::invalid_argument("added token with id " + std::to_string(id) +
                                  " is not valid UTF-8");
    }
    t.is_added_[id] = true;
  }
  for (int id : parts.special_ids) {
    check_id(id, "special token");
    if (!t.is_added_[id]) {
      throw std::invalid_argument("special token '" + t.id_to_token_[id] + "' is not an added token");
    }
    t.is_special_[id] = true;
  }
  for (int id = 0; id < n; ++id) {
    if (t.is_special_[id]) t.special_tokens_.push_back(t.id_to_token_[id]);
  }

  // A byte without a token of its own is dropped when encoding, as HF's BPE drops a character missing
  // from the vocabulary when there is no unk token (SmolLM2 has no tokens for some control bytes).
  t.byte_id_.assign(256, -1);
  for (int b = 0; b < 256; ++b) {
    auto it = t.token_to_id_.find(ByteToUnicode(static_cast<unsigned char>(b)));
    if (it != t.token_to_id_.end() && !t.is_added_[it->second]) t.byte_id_[b] = it->second;
  }

  t.merges_ = std::move(parts.merges);
  t.merge_rank_.reserve(t.merges_.size());
  for (size_t rank = 0; rank < t.merges_.size(); ++rank) {
    const auto [a, b] = t.merges_[rank];
    check_id(a, "merge");
    check_id(b, "merge");
    auto it = t.token_to_id_.find(t.id_to_token_[a] + t.id_to_token_[b]);
    if (it == t.token_to_id_.end()) {
      throw std::invalid_argument("merge '" + t.id_to_token_[a] + " " + t.id_to_token_[b] +
                                  "' produces a token missing from the vocabulary");
    }
    // HF keeps the first rank when a pair is listed twice.
    t.merge_rank_.emplace(PairKey(a, b), (static_cast<uint64_t>(rank) << 32) |
                                             static_cast<uint32_t>(it->second));
  }

  // Decoding follows HF's ByteLevel decoder: a token whose every code point is a byte-level code
  // point becomes those bytes; any other token (e.g. "<|my token|>" with a space) is kept verbatim.
  t.id_to_bytes_.resize(n);
  for (int id = 0; id < n; ++id) {
    if (!TokenTextToBytes(t.id_to_token_[id], &t.id_to_bytes_[id])) {
      t.id_to_bytes_[id] = t.id_to_token_[id];
    }
  }

  t.added_by_first_byte_.assign(256, {});
  for (int id = 0; id < n; ++id) {
    if (t.is_added_[id]) {
      t.added_by_first_byte_[static_cast<unsigned char>(t.id_to_token_[id][0])].push_back(id);
    }
  }
  for (auto& list : t.added_by_first_byte_) {
    std::stable_sort(list.begin(), list.end(), [&t](int x, int y) {
      return t.id_to_token_[x].size() > t.id_to_token_[y].size();
    });
  }

  const auto named = [&t](const std::string& token, const char* what) {
    const int id = t.TokenId(token);
    if (id < 0) throw std::invalid_argument(std::string(what) + " token '" + token + "' is not in the vocabulary");
    return id;
  };
  t.bos_id_ = parts.bos_token.empty() ? FirstPresent(t, {"<|bos|>", "<s>", "<|begin_of_text|>", "<|startoftext|>"})
                                      : named(parts.bos_token, "bos");
  t.eos_id_ = parts.eos_token.empty() ? FirstPresent(t, {"<|eos|>", "</s>", "<|endoftext|>", "<|end_of_text|>"})
                                      : named(parts.eos_token, "eos");
  t.pad_id_ = parts.pad_token.empty() ? FirstPresent(t, {"<|pad|>", "<pad>"}) : named(parts.pad_token, "pad");
  t.pre_tokenizer_ = parts.pre_tokenizer;
  t.add_bos_ = parts.add_bos;
  t.chat_template_ = std::move(parts.chat_template);
  t.chat_format_ = RecogniseChatTemplate(t.chat_template_);
  t.cache_ = std::make_shared<EncodeCache>();
  return t;
}

Tokenizer Tokenizer::ByteLevel(const std::vector<std::string>& special_tokens) {
  Parts parts;
  for (int b = 0; b < 256; ++b) parts.vocab.push_back(ByteToUnicode(static_cast<unsigned char>(b)));
  for (const std::string& s : special_tokens) {
    parts.added_ids.push_back(static_cast<int>(parts.vocab.size()));
    parts.special_ids.push_back(static_cast<int>(parts.vocab.size()));
    parts.vocab.push_back(s);
  }
  try {
    return FromParts(std::move(parts));
  } catch (const std::invalid_argument& e) {
    throw util::InputError(util::Location{"", 0, "special_tokens"}, e.what());
  }
}

int Tokenizer::TokenId(std::string_view token) const {
  auto it = token_to_id_.find(std::string(token));
  return it == token_to_id_.end() ? -1 : it->second;
}

std::string Tokenizer::TokenText(int id) const {
  if (id < 0 || id >= vocab_size()) {
    throw std::out_of_range("token id " + std::to_string(id) + " outside vocabulary of " +
                            std::to_string(vocab_size()));
  }
  return id_to_token_[id];
}

bool Tokenizer::IsSpecial(int id) const {
  return id >= 0 && id < vocab_size() && is_special_[id];
}

void Tokenizer::EncodePiece(std::string_view piece, std::vector<int>* out) const {
  if (ignore_merges_) {
    auto it = token_to_id_.find(BytesToTokenText(piece));
    if (it != token_to_id_.end() && !is_added_[it->second]) {
      out->push_back(it->second);
      return;
    }
  }
  // Symbols as a doubly linked list over the piece's bytes (those with a token); a removed symbol
  // gets id -1.
  std::vector<int> ids;
  for (char c : piece) {
    if (byte_id_[static_cast<unsigned char>(c)] >= 0) ids.push_back(byte_id_[static_cast<unsigned char>(c)]);
  }
  const int n = static_cast<int>(ids.size());
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  // Candidate merges ordered by (rank, position): HF's BPE pops the lowest rank, leftmost first,
  // and skips entries made stale by earlier merges.
  struct Candidate {
    uint32_t rank;
    int pos;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto push = [&](int pos) {
    if (pos < 0 || next[pos] < 0) return;
    auto it = merge_rank_.find(PairKey(ids[pos], ids[next[pos]]));
    if (it != merge_rank_.end()) queue.push({static_cast<uint32_t>(it->second >> 32), pos});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const int pos = top.pos;
    if (ids[pos] < 0 || next[pos] < 0) continue;
    const int right = next[pos];
    auto it = merge_rank_.find(PairKey(ids[pos], ids[right]));
    if (it == merge_rank_.end() || static_cast<uint32_t>(it->second >> 32) != top.rank) continue;
    ids[pos] = static_cast<int>(it->second & 0xFFFFFFFFu);
    ids[right] = -1;
    next[pos] = next[right];
    if (next[pos] >= 0) prev[next[pos]] = pos;
    push(prev[pos]);
    push(pos);
  }
  for (int i = 0; n > 0 && i >= 0; i = next[i]) out->push_back(ids[i]);
}

void Tokenizer::EncodeOrdinary(std::string_view text, std::vector<int>* out) const {
  std::vector<std::string_view> pieces;
  PreTokenize(pre_tokenizer_, text, &pieces);
  for (std::string_view piece : pieces) {
    if (merges_.empty() && !ignore_merges_) {  // plain byte-level: one token per byte
      for (char c : piece) {
        if (byte_id_[static_cast<unsigned char>(c)] >= 0) out->push_back(byte_id_[static_cast<unsigned char>(c)]);
      }
      continue;
    }
    if (piece.size() > EncodeCache::kMaxPieceBytes) {
      EncodePiece(piece, out);
      continue;
    }
    if (cache_->Lookup(piece, out)) continue;
    const size_t start = out->size();
    EncodePiece(piece, out);
    cache_->Insert(piece, out->data() + start, out->size() - start);
  }
}

std::vector<int> Tokenizer::Encode(std::string_view text) const {
  std::vector<int> out;
  out.reserve(text.size() / 3 + 4);
  size_t segment_start = 0;
  size_t pos = 0;
  // Leftmost-longest match of added tokens (as HF's added-vocabulary split), the text between
  // them pre-tokenized on its own.
  while (pos < text.size()) {
    int match = -1;
    for (int id : added_by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      const std::string& tok = id_to_token_[id];
      if (text.compare(pos, tok.size(), tok) == 0) {
        match = id;
        break;  // lists are sorted longest first
      }
    }
    if (match < 0) {
      ++pos;
      continue;
    }
    EncodeOrdinary(text.substr(segment_start, pos - segment_start), &out);
    out.push_back(match);
    pos += id_to_token_[match].size();
    segment_start = pos;
  }
  EncodeOrdinary(text.substr(segment_start), &out);
  return out;
}

std::string Tokenizer::Decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::string out;
  for (int id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw std::out_of_range("cannot decode token id " + std::to_string(id) +
                              ": vocabulary has " + std::to_string(vocab_size()) + " tokens");
    }
    if (skip_special_tokens && is_special_[id]) continue;
    out += id_to_bytes_[id];
  }
  return out;
}

std::string Tokenizer::ChatPrompt(std::string_view user) const {
  return RenderChat(chat_format_, user, chat_template_.empty() ? "tokenizer (no chat_template)" : "tokenizer");
}

std::vector<int> Tokenizer::EncodePrompt(std::string_view text, bool chat) const {
  if (chat) return Encode(ChatPrompt(text));  // templates carry their own bos where they want one
  std::vector<int> ids;
  if (add_bos_ && bos_id_ >= 0) ids.push_back(bos_id_);
  const std::vector<int> body = Encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

std::vector<std::string> DefaultSpecialTokens() {
  return {"<|bos|>",  "<|eos|>",   "<|pad|>",   "<|gpt4|>",   "<|gpt3|>",
          "<code>",   "</code>",   "<output>",  "</output>",  "<hint>", "</hint>"};
}

}  // namespace tokenizer
