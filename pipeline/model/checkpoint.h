// Loading a Hugging Face BERT checkpoint folder into a BertModel.
//
// A folder holds config.json, model.safetensors (preferred) or pytorch_model.bin, vocab.txt and
// tokenizer_config.json. Keys may carry the "bert." prefix (BertForMaskedLM, BertForPreTraining,
// fine-tuned task models) or not (BertModel). The MLM head (cls.predictions.*) and the pooler are
// built when their weights are present.
#pragma once

#include <string>
#include <vector>

#include "pipeline/model/bert_config.h"
#include "pipeline/model/bert_model.h"
#include "pipeline/model/raw_tensor.h"

namespace bertology {

/// Where the model runs and in which precision.
struct LoadOptions {
  std::string device = "cpu";      ///< "cpu" or "cuda" / "cuda:N" (CUDA builds only)
  std::string dtype = "float32";   ///< compute dtype: float32 (CPU and CUDA), float16/bfloat16 (CUDA; bfloat16 also CPU, slow)
  bool compute_digest = true;      ///< sha256 of the weights file (cache keys and output attributes need it)
  /// Dropout of hidden states and attention probabilities in training mode; < 0 keeps
  /// config.json's hidden_dropout_prob / attention_probs_dropout_prob (fine-tuning may override).
  double dropout = -1.0;
  /// Build the pooler even when the checkpoint has none (task heads on [CLS] need it); its
  /// weights are then drawn as HF initialises them (normal(0, initializer_range), bias 0) from
  /// LibTorch's current generator, and listed in LoadReport::initialised.
  bool require_pooler = false;
  /// Leave out the MLM head even when the checkpoint has one (its keys are then "ignored"), so
  /// that task models do not carry (and decay) parameters no loss reaches.
  bool skip_mlm_head = false;
};

/// What was read and how the names matched.
struct LoadReport {
  std::string weights_file;                 ///< the file the weights came from
  std::string weights_sha256;               ///< hex digest of that file ("" when not computed)
  std::vector<std::string> ignored;         ///< keys known to be unused (NSP head, position_ids buffer)
  std::vector<std::string> unexpected;      ///< keys that matched nothing (e.g. a task classifier)
  std::vector<std::string> initialised;     ///< parameters not in the checkpoint, freshly initialised
  bool mlm_decoder_tied = true;             ///< decoder weight absent or equal to the word embeddings
};

/// A loaded checkpoint.
struct LoadedBert {
  BertConfig config;
  BertModel model{nullptr};
  LoadReport report;
};

/// Loads `dir`; throws InputError naming the file and problem (missing config.json, no weights
/// file, corrupt file, missing encoder keys, shape mismatches with config.json).
/// `unexpected_tensors`, when given, receives the tensors of LoadReport::unexpected under their
/// normalised names (a task head's weights, read once with the rest).
LoadedBert load_bert(const std::string& dir, const LoadOptions& options = {}, StateDict* unexpected_tensors = nullptr);

/// Copies a checkpoint record into a LibTorch tensor of the same dtype and shape.
torch::Tensor raw_to_tensor(const RawTensor& raw);

/// Applies `threads` (>= 1; model.threads 0 is resolved when the config is read) to LibTorch's
/// intra-op pool, and sets the inter-op pool to 1 thread on first call. Returns `threads`.
int set_torch_threads(int threads);

}  // namespace bertology
