// A model stored as one GGUF file (llama.cpp): its config from the metadata, its embedded tokenizer,
// and its weights dequantised under Hugging Face tensor names. Architectures "llama" and "qwen2";
// tokenizer model "gpt2" (byte-level BPE) with the pre-tokenizers of trainers/tokenizer/pretokenize.h.
#pragma once

#include <string>

#include "trainers/checkpoint/gguf.h"
#include "trainers/checkpoint/weights.h"
#include "trainers/model/config.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

// {arch}.block_count, .embedding_length, ... as a ModelConfig (Validate()d). util::InputError naming the
// key for an unsupported architecture, partial rotary dimensions or rope scaling we do not reproduce.
ModelConfig GgufModelConfig(const GgufFile& file);

// tokenizer.ggml.{model, pre, tokens, token_type, merges, bos/eos/padding_token_id, add_bos_token} and
// tokenizer.chat_template. Control tokens (type 3) are special added tokens, user-defined ones (4) added.
tokenizer::Tokenizer GgufTokenizer(const GgufFile& file);

// The file's tensors under HF names, dequantised to fp32 on request. For "llama", Q and K rows are
// un-permuted: llama.cpp's converter reorders each head's rows from HF's rotate-half layout
// [first halves; second halves] to interleaved pairs (convert_hf_to_gguf.py, LlamaModel.permute);
// "qwen2" files keep HF's order (llama.cpp runs them in NeoX rope mode).
WeightSource GgufWeights(const GgufFile& file, const ModelConfig& config);

}  // namespace trainers
