#include "pipeline/model/bert_model.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/dropout.h>

#include <cmath>
#include <limits>

#include "pipeline/util/error.h"

namespace bertology {
namespace F = torch::nn::functional;

namespace {
torch::nn::LayerNorm make_layer_norm(const BertConfig& c) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps).elementwise_affine(true));
}

torch::Tensor apply_activation(const std::string& act, const torch::Tensor& x) {
  if (act == "gelu") return torch::gelu(x);                          // 0.5 x (1 + erf(x / sqrt 2))
  if (act == "relu") return torch::relu(x);
  return torch::gelu(x, "tanh");  // gelu_new / gelu_pytorch_tanh: 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))
}
}  // namespace

// ---------------------------------------------------------------------------------------------
BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) {
  // padding_idx as in HF: the [PAD] row receives no gradient.
  word_embeddings = register_module(
      "word_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.hidden_size).padding_idx(c.pad_token_id)));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings =
      register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
  dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids) {
  const int64_t T = input_ids.size(1);
  // [T] positions 0..T-1, broadcast over the batch.
  auto positions = torch::arange(T, input_ids.options().dtype(torch::kLong));
  // [B, T, d] = E_word[ids] + E_pos[t] + E_type[segment]; the sum order matches HF.
  auto x = word_embeddings(input_ids) + token_type_embeddings(token_type_ids);
  x = x + position_embeddings(positions).unsqueeze(0);
  return dropout(LayerNorm(x));
}

// ---------------------------------------------------------------------------------------------
BertLayerImpl::BertLayerImpl(const BertConfig& c) : config_(c) {
  const int d = c.hidden_size;
  query = register_module("query", torch::nn::Linear(d, d));
  key = register_module("key", torch::nn::Linear(d, d));
  value = register_module("value", torch::nn::Linear(d, d));
  attention_output_dense = register_module("attention_output_dense", torch::nn::Linear(d, d));
  attention_output_norm = register_module("attention_output_norm", make_layer_norm(c));
  intermediate_dense = register_module("intermediate_dense", torch::nn::Linear(d, c.intermediate_size));
  output_dense = register_module("output_dense", torch::nn::Linear(c.intermediate_size, d));
  output_norm = register_module("output_norm", make_layer_norm(c));
}

torch::Tensor BertLayerImpl::activation(const torch::Tensor& x) const {
  return apply_activation(config_.hidden_act, x);
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& additive_mask,
                                     torch::Tensor* attention_out) {
  const int64_t B = x.size(0), T = x.size(1);
  const int64_t H = config_.num_attention_heads, dh = config_.head_dim(), d = config_.hidden_size;
  const bool training = is_training();

  // [B, T, 3d] = x W_qkv^T + b_qkv: one GEMM instead of three (the weights are concatenated on
  // the fly so that query/key/value stay separate parameters for loading and training).
  auto w_qkv = torch::cat({query->weight, key->weight, value->weight}, 0);
  auto b_qkv = torch::cat({query->bias, key->bias, value->bias}, 0);
  auto qkv = torch::linear(x, w_qkv, b_qkv);
  // [B, T, 3, H, dh] -> [3, B, H, T, dh]
  qkv = qkv.view({B, T, 3, H, dh}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0], k = qkv[1], v = qkv[2];

  // [B, H, T, T] = Q K^T / sqrt(dh) + mask   (HF divides the scores; so do we, for round-off parity)
  auto scores = torch::matmul(q, k.transpose(-1, -2)).div_(std::sqrt(static_cast<double>(dh)));
  scores.add_(additive_mask);
  // [B, H, T, T] = softmax over keys
  auto probs = torch::softmax(scores, -1);
  if (attention_out) *attention_out = probs;
  auto probs_dropped = training ? F::dropout(probs, F::DropoutFuncOptions().p(config_.attention_probs_dropout_prob).training(true)) : probs;

  // [B, H, T, dh] = P V  -> [B, T, d]
  auto context = torch::matmul(probs_dropped, v).transpose(1, 2).reshape({B, T, d});

  // [B, T, d] = LN(x + dropout(context W_o^T + b_o))
  auto attn = attention_output_dense(context);
  if (training) attn = F::dropout(attn, F::DropoutFuncOptions().p(config_.hidden_dropout_prob).training(true));
  auto h = attention_output_norm(attn + x);

  // [B, T, d] = LN(h + dropout(act(h W_1^T + b_1) W_2^T + b_2))
  auto ffn = output_dense(activation(intermediate_dense(h)));
  if (training) ffn = F::dropout(ffn, F::DropoutFuncOptions().p(config_.hidden_dropout_prob).training(true));
  return output_norm(ffn + h);
}

// ---------------------------------------------------------------------------------------------
BertMlmHeadImpl::BertMlmHeadImpl(const BertConfig& c, torch::Tensor word_embeddings_weight) : config_(c) {
  transform_dense = register_module("transform_dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  transform_norm = register_module("transform_norm", make_layer_norm(c));
  bias = register_parameter("bias", torch::zeros({c.vocab_size}));
  // Tied, as in HF: not registered again, so optimisers see the embedding matrix once.
  decoder_weight = word_embeddings_weight;
}

torch::Tensor BertMlmHeadImpl::forward(const torch::Tensor& hidden) {
  // [B, T, d] = LN(act(h W^T + b)); [B, T, V] = t E^T + bias
  auto t = transform_norm(apply_activation(config_.hidden_act, transform_dense(hidden)));
  return torch::linear(t, decoder_weight, bias);
}

// ---------------------------------------------------------------------------------------------
BertModelImpl::BertModelImpl(const BertConfig& c, bool with_pooler, bool with_mlm_head) : config_(c) {
  embeddings = register_module("embeddings", BertEmbeddings(c));
  for (int l = 0; l < c.num_hidden_layers; ++l)
    layers.push_back(register_module("layer_" + std::to_string(l), BertLayer(c)));
  if (with_pooler) pooler_dense = register_module("pooler_dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  if (with_mlm_head)
    mlm_head = register_module("mlm_head", BertMlmHead(c, embeddings->word_embeddings->weight));
}

EncoderOutput BertModelImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                     const torch::Tensor& token_type_ids, const ForwardOptions& options) {
  BTL_REQUIRE(input_ids.dim() == 2, "input_ids must be [B, T], got ", input_ids.dim(), " dims");
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  BTL_REQUIRE(T <= config_.max_position_embeddings, "input of ", T, " wordpieces exceeds max_position_embeddings ",
              config_.max_position_embeddings);
  auto types = token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids);

  auto x = embeddings(input_ids, types);
  // [B, 1, 1, T] additive mask: 0 for real keys, float-min for padding (HF's extended mask).
  torch::Tensor additive_mask;
  if (attention_mask.defined()) {
    // In half types -65504: finite in fp16 (its lowest) and bf16, and exp() of it is 0 in both.
    const float very_negative = x.scalar_type() == torch::kFloat ? std::numeric_limits<float>::lowest() : -65504.0f;
    additive_mask = (1.0 - attention_mask.to(torch::kFloat)).mul_(very_negative).to(x.dtype()).view({B, 1, 1, T});
  } else {
    additive_mask = torch::zeros({B, 1, 1, T}, x.options());
  }

  std::vector<bool> want(config_.num_hidden_layers, false);
  for (int l : options.attention_layers) {
    BTL_REQUIRE(l >= 0 && l < config_.num_hidden_layers, "attention layer ", l, " out of range [0, ",
                config_.num_hidden_layers, ")");
    want[l] = true;
  }

  EncoderOutput out;
  out.hidden_states.reserve(config_.num_hidden_layers + 1);
  out.attentions.resize(config_.num_hidden_layers);
  out.hidden_states.push_back(x);
  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    x = layers[l]->forward(x, additive_mask, want[l] ? &out.attentions[l] : nullptr);
    out.hidden_states.push_back(x);
  }
  if (!options.differentiable_attention) {
    for (auto& a : out.attentions)
      if (a.defined()) a = a.detach();
  }
  return out;
}

torch::Tensor BertModelImpl::pool(const torch::Tensor& last_hidden) {
  BTL_REQUIRE(has_pooler(), "this checkpoint has no pooler weights (pooler.dense.*)");
  return torch::tanh(pooler_dense(last_hidden.select(1, 0)));
}

torch::Tensor BertModelImpl::mlm_logits(const torch::Tensor& last_hidden) {
  BTL_REQUIRE(has_mlm_head(), "this checkpoint has no MLM head (cls.predictions.*)");
  return mlm_head->forward(last_hidden);
}

std::vector<std::pair<std::string, torch::Tensor>> BertModelImpl::hf_named_parameters() {
  std::vector<std::pair<std::string, torch::Tensor>> p;
  auto add = [&](const std::string& name, const torch::Tensor& t) { p.emplace_back(name, t); };
  auto add_linear = [&](const std::string& name, const torch::nn::Linear& m) {
    add(name + ".weight", m->weight);
    add(name + ".bias", m->bias);
  };
  auto add_norm = [&](const std::string& name, const torch::nn::LayerNorm& m) {
    add(name + ".weight", m->weight);
    add(name + ".bias", m->bias);
  };
  add("embeddings.word_embeddings.weight", embeddings->word_embeddings->weight);
  add("embeddings.position_embeddings.weight", embeddings->position_embeddings->weight);
  add("embeddings.token_type_embeddings.weight", embeddings->token_type_embeddings->weight);
  add_norm("embeddings.LayerNorm", embeddings->LayerNorm);
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::string pre = "encoder.layer." + std::to_string(l) + ".";
    const auto& layer = layers[l];
    add_linear(pre + "attention.self.query", layer->query);
    add_linear(pre + "attention.self.key", layer->key);
    add_linear(pre + "attention.self.value", layer->value);
    add_linear(pre + "attention.output.dense", layer->attention_output_dense);
    add_norm(pre + "attention.output.LayerNorm", layer->attention_output_norm);
    add_linear(pre + "intermediate.dense", layer->intermediate_dense);
    add_linear(pre + "output.dense", layer->output_dense);
    add_norm(pre + "output.LayerNorm", layer->output_norm);
  }
  if (has_pooler()) add_linear("pooler.dense", pooler_dense);
  if (has_mlm_head()) {
    add_linear("cls.predictions.transform.dense", mlm_head->transform_dense);
    add_norm("cls.predictions.transform.LayerNorm", mlm_head->transform_norm);
    add("cls.predictions.bias", mlm_head->bias);
  }
  return p;
}

}  // namespace bertology
