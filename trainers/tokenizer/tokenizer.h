// Byte-level BPE tokenizer that reads and writes Hugging Face's tokenizer.json (ByteLevel decoder; the
// GPT-2, GPT-2 + Digits, Llama-3 and Qwen2 pre-tokenizers of pretokenize.h) and tokenizer_config.json
// (bos/eos/pad, add_bos_token, chat_template), plus a BPE trainer. GGUF files' embedded tokenizers are
// assembled from their parts by trainers/checkpoint/gguf_model.cc.
//
// Token strings are stored in GPT-2's byte-to-unicode form (each raw byte mapped to one printable code
// point, e.g. ' ' -> "Ġ"), exactly as they appear in tokenizer.json. Special ("added") tokens are
// stored verbatim and matched in raw text before pre-tokenization, longest first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trainers/tokenizer/chat_template.h"
#include "trainers/tokenizer/pretokenize.h"

namespace tokenizer {

class EncodeCache;  // pre-token -> ids memo shared by copies of one Tokenizer (thread-safe)

class Tokenizer {
 public:
  // Parses a tokenizer.json. Throws util::InputError naming the file and field when the file is not
  // a byte-level BPE tokenizer we can reproduce exactly (unknown model type, missing vocab, merges
  // naming unknown tokens, duplicate ids, ...).
  static Tokenizer Load(const std::string& tokenizer_json_path);
  // tokenizer.json plus, when present, tokenizer_config.json beside it (bos/eos/pad tokens,
  // add_bos_token (false when that file omits it, as in HF), chat_template).
  static Tokenizer LoadDir(const std::string& dir);
  // The fallback tokenizer: ids 0..255 are the 256 byte tokens, then `special_tokens` in order.
  static Tokenizer ByteLevel(const std::vector<std::string>& special_tokens);

  // Writes the HF tokenizer.json (atomic). The file loads in HF `tokenizers` and in Load().
  void Save(const std::string& tokenizer_json_path) const;
  std::string ToJson() const;
  // HF tokenizer_config.json: bos/eos/pad tokens, add_bos_token, chat_template. Save() does not write it;
  // checkpoints do (SaveCheckpoint), so a loaded real model keeps its special tokens and template.
  std::string ToConfigJson() const;

  // Special tokens appearing in `text` are emitted as their ids; everything else goes through the
  // GPT-2 pre-tokenizer and BPE merges.
  std::vector<int> Encode(std::string_view text) const;
  // Concatenates token bytes. Invalid UTF-8 that results from a cut sequence is kept as raw bytes.
  // Throws std::out_of_range on an id outside the vocabulary.
  std::string Decode(const std::vector<int>& ids, bool skip_special_tokens = false) const;
  // A prompt as the model expects it: with `chat`, the chat template's rendering of one user turn
  // (util::InputError when the tokenizer has no template we reproduce); otherwise bos (when add_bos())
  // followed by the text.
  std::vector<int> EncodePrompt(std::string_view text, bool chat) const;
  std::string ChatPrompt(std::string_view user) const;

  int vocab_size() const { return static_cast<int>(id_to_token_.size()); }
  int bos_id() const { return bos_id_; }  // "<|bos|>" (or "<s>", "<|begin_of_text|>"); -1 when absent
  int eos_id() const { return eos_id_; }  // "<|eos|>" (or "</s>", "<|endoftext|>"); -1 when absent
  int pad_id() const { return pad_id_; }  // "<|pad|>" (or "<pad>"); -1 when absent
  // (Parts can name other tokens for the three, e.g. ChatML's "<|im_end|>" as eos.)
  bool add_bos() const { return add_bos_; }
  PreTokenizer pre_tokenizer() const { return pre_tokenizer_; }
  const std::string& chat_template() const { return chat_template_; }
  // Id of a token given as it appears in tokenizer.json (byte-level form for regular tokens,
  // verbatim for special tokens); -1 when absent.
  int TokenId(std::string_view token) const;
  // Token string as in tokenizer.json; throws std::out_of_range on a bad id.
  std::string TokenText(int id) const;
  bool IsSpecial(int id) const;
  const std::vector<std::string>& special_tokens() const { return special_tokens_; }
  int num_merges() const { return static_cast<int>(merges_.size()); }

  // Assembles a tokenizer from its parts (used by Load, ByteLevel and TrainBpe). Throws
  // std::invalid_argument when the parts are inconsistent (see Tokenizer::Parts below).
  struct Parts;
  static Tokenizer FromParts(Parts parts);

 private:
  Tokenizer() = default;
  // BPE over the bytes of one pre-token, appending ids.
  void EncodePiece(std::string_view piece, std::vector<int>* out) const;
  // Pre-tokenizes text that holds no added token, then BPE per piece (through the cache).
  void EncodeOrdinary(std::string_view text, std::vector<int>* out) const;

  std::vector<std::string> id_to_token_;          // byte-level form, or verbatim for specials
  std::unordered_map<std::string, int> token_to_id_;
  std::vector<std::pair<int, int>> merges_;       // rank order
  // (left id << 32 | right id) -> (rank << 32 | merged id)
  std::unordered_map<uint64_t, uint64_t> merge_rank_;
  std::vector<std::string> id_to_bytes_;          // raw bytes each id decodes to
  std::vector<bool> is_special_;
  std::vector<bool> is_added_;                    // matched verbatim in text before pre-tokenizing
  std::vector<std::vector<int>> added_by_first_byte_;  // 256 lists of added ids, longest first
  bool ignore_merges_ = false;
  PreTokenizer pre_tokenizer_ = PreTokenizer::kGpt2;
  bool add_bos_ = true;
  bool post_processor_bos_ = false;  // tokenizer.json's TemplateProcessing prepends bos_id_
  std::string chat_template_;
  ChatFormat chat_format_;
  std::vector<std::string> special_tokens_;       // verbatim, in id order
  std::vector<int> byte_id_;                      // raw byte -> id of its single-byte token
  int bos_id_ = -1, eos_id_ = -1, pad_id_ = -1;
  std::shared_ptr<EncodeCache> cache_;
};

// What a tokenizer is made of. Ids are dense: vocab[i] is the token of id i.
struct Tokenizer::Parts {
  std::vector<std::string> vocab;           // byte-level form; added tokens verbatim
  std::vector<std::pair<int, int>> merges;  // rank order; vocab[a] + vocab[b] must be a token
  std::vector<int> added_ids;               // tokens matched verbatim in text (non-empty)
  std::vector<int> special_ids;             // subset of added_ids dropped by skip_special_tokens
  bool ignore_merges = false;               // HF option: a pre-token found in vocab is taken whole
  PreTokenizer pre_tokenizer = PreTokenizer::kGpt2;
  // Special tokens by their text; empty: found by name ("<|bos|>", "<s>", ...; see FromParts).
  std::string bos_token, eos_token, pad_token;
  bool add_bos = true;                      // EncodePrompt prepends bos (when there is one)
  std::string chat_template;                // Jinja text; "" = none
};

struct BpeOptions {
  // No merge contains an ASCII digit, so every digit is its own token. Small models learn
  // arithmetic far more easily when a number is spelled digit by digit rather than in the
  // corpus's frequent multi-digit chunks (the reason LLaMA's tokenizer splits digits).
  bool split_digits = false;
};

// BPE training on a corpus: byte-level, GPT-2 pre-tokenization, merges picked by highest pair
// count with ties broken by the smallest (left bytes, right bytes), compared bytewise, so the result
// is deterministic. Ids: special tokens first (in the order given), then the 256 byte tokens, then
// one token per merge until `vocab_size` is reached (or no pair occurs twice).
Tokenizer TrainBpe(const std::vector<std::string>& texts, int vocab_size,
                   const std::vector<std::string>& special_tokens, const BpeOptions& options = {});

// The project's default special tokens: bos, eos, pad, then condition, tool and hint markers.
std::vector<std::string> DefaultSpecialTokens();

}  // namespace tokenizer
