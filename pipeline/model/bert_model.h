// BERT encoder in LibTorch, numerically equal to Hugging Face `BertModel` with eager attention.
//
// Parameter names follow the HF state dict ("embeddings.word_embeddings.weight",
// "encoder.layer.3.attention.self.query.weight", "pooler.dense.weight",
// "cls.predictions.transform.dense.weight"), so loading a checkpoint is a name lookup
// (pipeline/model/checkpoint.h). Shapes: B = batch, T = padded length, d = hidden_size,
// H = heads, dh = d / H, L = layers.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "pipeline/model/bert_config.h"

namespace bertology {

/// What a forward pass returns.
struct EncoderOutput {
  /// L+1 tensors [B, T, d]; index 0 = embedding output, index l = output of layer l (1-based).
  std::vector<torch::Tensor> hidden_states;
  /// L entries [B, H, T, T] (row = query, column = key; rows sum to 1 over real keys), undefined
  /// (`!defined()`) for the layers whose attention was not requested.
  std::vector<torch::Tensor> attentions;
};

/// Options of one forward pass.
struct ForwardOptions {
  /// Layers (0-based) whose attention probabilities are returned; empty = none.
  std::vector<int> attention_layers;
  /// Keep autograd graph for attention probabilities (training / gradient analyses).
  bool differentiable_attention = false;
};

/// A right-padded batch with its padding removed: the real tokens of all sequences stacked as
/// rows [n, ...] (sequence by sequence), and what is needed to scatter them back for attention.
/// Built by BertModelImpl::cls_hidden(); see pipeline/model/bert_packed.cpp.
struct PackedBatch {
  int64_t batch = 0;              ///< B sequences
  int64_t padded_length = 0;      ///< T, the longest sequence
  torch::Tensor flat_index;       ///< [n] int64: row b*T + t of each real token in the padded [B*T] layout
  torch::Tensor cls_rows;         ///< [B] int64: packed row of each sequence's first token ([CLS])
  torch::Tensor additive_mask;    ///< [B, 1, 1, T]: 0 for real keys, float-min for padding
};

/// Word + position + segment embeddings, then LayerNorm and dropout.
class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& c);
  /// input_ids, token_type_ids: [B, T] int64 -> [B, T, d]
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids);

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

/// One transformer layer (post-LayerNorm, as BERT).
class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& c);
  /// x: [B, T, d]; additive_mask: [B, 1, 1, T] (0 or very negative).
  /// attention_out: when non-null, receives the probabilities [B, H, T, T].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additive_mask,
                        torch::Tensor* attention_out);
  /// The same layer on packed rows x: [n, d] -> [n, d]. Only attention sees padding; the
  /// projections, feed-forward and LayerNorms run on real tokens only.
  torch::Tensor forward_packed(const torch::Tensor& x, const PackedBatch& batch);
  /// The layer's output at each sequence's first token only: x [n, d] -> [B, d]. Keys and values
  /// still come from every token; queries, attention output and feed-forward from [CLS] alone.
  torch::Tensor forward_first_token(const torch::Tensor& x, const PackedBatch& batch);

  // Submodules named as in HF: attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
  // intermediate.dense, output.{dense,LayerNorm}. Held here directly; the nesting lives in names.
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  torch::nn::Linear attention_output_dense{nullptr};
  torch::nn::LayerNorm attention_output_norm{nullptr};
  torch::nn::Linear intermediate_dense{nullptr};
  torch::nn::Linear output_dense{nullptr};
  torch::nn::LayerNorm output_norm{nullptr};

 private:
  BertConfig config_;
  torch::Tensor activation(const torch::Tensor& x) const;
};
TORCH_MODULE(BertLayer);

/// MLM head: transform (dense, activation, LayerNorm) then decoder tied to the word embeddings.
class BertMlmHeadImpl : public torch::nn::Module {
 public:
  BertMlmHeadImpl(const BertConfig& c, torch::Tensor word_embeddings_weight);
  /// hidden: [B, T, d] -> logits [B, T, vocab_size]
  torch::Tensor forward(const torch::Tensor& hidden);

  torch::nn::Linear transform_dense{nullptr};
  torch::nn::LayerNorm transform_norm{nullptr};
  torch::Tensor bias;             ///< [vocab_size]
  torch::Tensor decoder_weight;   ///< [vocab_size, d], shares storage with the word embeddings

 private:
  BertConfig config_;
};
TORCH_MODULE(BertMlmHead);

/// The whole model: embeddings, L layers, optional pooler and optional MLM head.
class BertModelImpl : public torch::nn::Module {
 public:
  /// with_pooler / with_mlm_head: build those heads (their weights come from the checkpoint).
  BertModelImpl(const BertConfig& c, bool with_pooler, bool with_mlm_head);

  /// input_ids: [B, T] int64; attention_mask: [B, T] (1 = real token, 0 = padding), may be
  /// undefined (= all real); token_type_ids: [B, T] int64, may be undefined (= all 0).
  EncoderOutput forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids, const ForwardOptions& options = {});

  /// The last layer's hidden state at [CLS], [B, d], equal to
  /// forward(...).hidden_states.back().select(1, 0) but cheaper for classifiers: padding is
  /// removed outside attention, and the last layer runs only for [CLS] (no other position of it
  /// reaches a [CLS]-based classifier). attention_mask must be right-padded (1...1 0...0 per row).
  torch::Tensor cls_hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                           const torch::Tensor& token_type_ids);
  /// tanh(W h + b) on [B, d] [CLS] states (the pooler without the row selection).
  torch::Tensor pool_cls(const torch::Tensor& cls_hidden);
  /// [CLS] pooler: tanh(W h_0 + b) on the last hidden state [B, T, d] -> [B, d].
  torch::Tensor pool(const torch::Tensor& last_hidden);
  /// MLM logits [B, T, vocab] from the last hidden state; requires the MLM head.
  torch::Tensor mlm_logits(const torch::Tensor& last_hidden);

  /// Parameters under their Hugging Face names (without "bert." prefix).
  std::vector<std::pair<std::string, torch::Tensor>> hf_named_parameters();

  const BertConfig& config() const { return config_; }
  bool has_pooler() const { return !pooler_dense.is_empty(); }
  bool has_mlm_head() const { return !mlm_head.is_empty(); }

  BertEmbeddings embeddings{nullptr};
  std::vector<BertLayer> layers;
  torch::nn::Linear pooler_dense{nullptr};
  BertMlmHead mlm_head{nullptr};

 private:
  BertConfig config_;
};
TORCH_MODULE(BertModel);

}  // namespace bertology
