// Architecture hyper-parameters of a BERT checkpoint, read from Hugging Face `config.json`.
#pragma once

#include <string>

namespace bertology {

/// The subset of `transformers.BertConfig` that changes the forward pass (field names as in JSON).
struct BertConfig {
  int vocab_size = 30522;                 ///< rows of the word-embedding matrix
  int hidden_size = 768;                  ///< d: width of every hidden state
  int num_hidden_layers = 12;             ///< L: transformer layers (hidden states returned: L+1)
  int num_attention_heads = 12;           ///< H: heads per layer; hidden_size must be divisible by H
  int intermediate_size = 3072;           ///< width of the feed-forward layer
  int max_position_embeddings = 512;      ///< longest input in wordpieces, specials included
  int type_vocab_size = 2;                ///< number of segment (token type) ids
  double layer_norm_eps = 1e-12;          ///< epsilon of every LayerNorm
  std::string hidden_act = "gelu";        ///< "gelu" (erf), "gelu_new"/"gelu_pytorch_tanh" (tanh approx.) or "relu"
  double hidden_dropout_prob = 0.1;       ///< dropout after embeddings, attention output and FFN (training only)
  double attention_probs_dropout_prob = 0.1;  ///< dropout on attention probabilities (training only)
  double initializer_range = 0.02;        ///< sd of the normal init of new weights (task heads)
  int pad_token_id = 0;                   ///< id of [PAD]
  std::string position_embedding_type = "absolute";  ///< only "absolute" is supported

  /// Width of one head: hidden_size / num_attention_heads.
  int head_dim() const { return hidden_size / num_attention_heads; }

  /// Reads and validates `config.json`; throws InputError naming the file and key on any problem.
  static BertConfig from_json_file(const std::string& path);
};

}  // namespace bertology
