// The classifier path of the encoder: padding removed outside attention, and the last layer
// computed for [CLS] only. Same numbers as the padded forward (tests/model/test_mc_model.cpp);
// the saving is the padding of a dynamically padded batch plus most of the last layer
// ((T-1)/T of its query projection, attention output and feed-forward).
#include <torch/nn/functional/dropout.h>

#include <cmath>
#include <limits>

#include "pipeline/model/bert_model.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace F = torch::nn::functional;

namespace {

torch::Tensor dropout_if(bool training, double p, const torch::Tensor& x) {
  return training && p > 0 ? F::dropout(x, F::DropoutFuncOptions().p(p).training(true)) : x;
}

/// Packed rows [n, w] -> padded [B, T, w] with zero rows at padding.
torch::Tensor unpack(const torch::Tensor& rows, const PackedBatch& batch) {
  const int64_t w = rows.size(1);
  auto padded = torch::zeros({batch.batch * batch.padded_length, w}, rows.options());
  return padded.index_copy(0, batch.flat_index, rows).view({batch.batch, batch.padded_length, w});
}

}  // namespace

torch::Tensor BertLayerImpl::forward_packed(const torch::Tensor& x, const PackedBatch& batch) {
  const int64_t B = batch.batch, T = batch.padded_length;
  const int64_t H = config_.num_attention_heads, dh = config_.head_dim(), d = config_.hidden_size;
  const bool training = is_training();

  // [n, 3d] = x W_qkv^T + b_qkv on real tokens only
  auto w_qkv = torch::cat({query->weight, key->weight, value->weight}, 0);
  auto b_qkv = torch::cat({query->bias, key->bias, value->bias}, 0);
  // [B, T, 3d] (zero rows at padding; those keys are masked) -> [3, B, H, T, dh]
  auto qkv = unpack(torch::linear(x, w_qkv, b_qkv), batch).view({B, T, 3, H, dh}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0], k = qkv[1], v = qkv[2];
  // [B, H, T, T] = softmax(Q K^T / sqrt(dh) + mask)
  auto scores = torch::matmul(q, k.transpose(-1, -2)).div_(std::sqrt(static_cast<double>(dh)));
  scores.add_(batch.additive_mask);
  auto probs = dropout_if(training, config_.attention_probs_dropout_prob, torch::softmax(scores, -1));
  // [B, T, d] = P V, then back to the real rows [n, d]
  auto context = torch::matmul(probs, v).transpose(1, 2).reshape({B * T, d}).index_select(0, batch.flat_index);

  // [n, d] = LN(x + dropout(context W_o^T + b_o))
  auto h = attention_output_norm(dropout_if(training, config_.hidden_dropout_prob, attention_output_dense(context)) + x);
  // [n, d] = LN(h + dropout(act(h W_1^T + b_1) W_2^T + b_2))
  auto ffn = output_dense(activation(intermediate_dense(h)));
  return output_norm(dropout_if(training, config_.hidden_dropout_prob, ffn) + h);
}

torch::Tensor BertLayerImpl::forward_first_token(const torch::Tensor& x, const PackedBatch& batch) {
  const int64_t B = batch.batch, T = batch.padded_length;
  const int64_t H = config_.num_attention_heads, dh = config_.head_dim(), d = config_.hidden_size;
  const bool training = is_training();

  // Keys and values of every token: [n, 2d] -> [B, T, 2, H, dh] -> [2, B, H, T, dh]
  auto w_kv = torch::cat({key->weight, value->weight}, 0);
  auto b_kv = torch::cat({key->bias, value->bias}, 0);
  auto kv = unpack(torch::linear(x, w_kv, b_kv), batch).view({B, T, 2, H, dh}).permute({2, 0, 3, 1, 4});
  auto k = kv[0], v = kv[1];
  // The query of [CLS] only: [B, d] -> [B, H, 1, dh]
  auto x_cls = x.index_select(0, batch.cls_rows);
  auto q = query(x_cls).view({B, H, 1, dh});
  // [B, H, 1, T] = softmax(q K^T / sqrt(dh) + mask)
  auto scores = torch::matmul(q, k.transpose(-1, -2)).div_(std::sqrt(static_cast<double>(dh)));
  scores.add_(batch.additive_mask);
  auto probs = dropout_if(training, config_.attention_probs_dropout_prob, torch::softmax(scores, -1));
  // [B, d] = P V
  auto context = torch::matmul(probs, v).reshape({B, d});
  auto h = attention_output_norm(dropout_if(training, config_.hidden_dropout_prob, attention_output_dense(context)) + x_cls);
  auto ffn = output_dense(activation(intermediate_dense(h)));
  return output_norm(dropout_if(training, config_.hidden_dropout_prob, ffn) + h);
}

torch::Tensor BertModelImpl::cls_hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                        const torch::Tensor& token_type_ids) {
  BTL_REQUIRE(input_ids.dim() == 2, "input_ids must be [B, T], got ", input_ids.dim(), " dims");
  BTL_REQUIRE(attention_mask.defined() && attention_mask.sizes() == input_ids.sizes(),
              "cls_hidden needs an attention mask of the shape of input_ids");
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  BTL_REQUIRE(T <= config_.max_position_embeddings, "input of ", T, " wordpieces exceeds max_position_embeddings ",
              config_.max_position_embeddings);
  auto mask = attention_mask.to(torch::kLong).cpu();
  auto lengths = mask.sum(1);
  // Right padding: the mask of row b must be 1 exactly on its first lengths[b] positions.
  auto expected = torch::arange(T).unsqueeze(0).lt(lengths.unsqueeze(1)).to(torch::kLong);
  BTL_REQUIRE(torch::equal(mask, expected) && lengths.min().item<int64_t>() >= 1,
              "cls_hidden needs right-padded rows with at least one real token");

  const auto device = input_ids.device();
  PackedBatch batch;
  batch.batch = B;
  batch.padded_length = T;
  auto real = expected.view({-1}).nonzero().view({-1});  // [n] flat b*T + t
  batch.flat_index = real.to(device);
  // [B] packed row of each sequence's token 0 = exclusive prefix sum of the lengths
  batch.cls_rows = (lengths.cumsum(0) - lengths).to(device);
  auto positions = real.remainder(T).to(device);

  // Embeddings of the real tokens [n, d] = LN(E_word[id] + E_type[segment] + E_pos[t]) (HF's sum order)
  auto ids = input_ids.reshape({-1}).index_select(0, batch.flat_index);
  auto types = (token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids))
                   .reshape({-1}).index_select(0, batch.flat_index);
  auto x = embeddings->word_embeddings(ids) + embeddings->token_type_embeddings(types);
  x = x + embeddings->position_embeddings(positions);
  x = embeddings->dropout(embeddings->LayerNorm(x));

  // [B, 1, 1, T] additive mask as in forward()
  const float very_negative = x.scalar_type() == torch::kFloat ? std::numeric_limits<float>::lowest() : -65504.0f;
  batch.additive_mask = (1.0 - attention_mask.to(torch::kFloat)).mul_(very_negative).to(x.dtype()).view({B, 1, 1, T});

  const int L = config_.num_hidden_layers;
  BTL_REQUIRE(L >= 1, "cls_hidden needs at least one layer");
  for (int l = 0; l + 1 < L; ++l) x = layers[l]->forward_packed(x, batch);
  return layers[L - 1]->forward_first_token(x, batch);
}

torch::Tensor BertModelImpl::pool_cls(const torch::Tensor& cls) {
  BTL_REQUIRE(has_pooler(), "this checkpoint has no pooler weights (pooler.dense.*)");
  return torch::tanh(pooler_dense(cls));
}

}  // namespace bertology
