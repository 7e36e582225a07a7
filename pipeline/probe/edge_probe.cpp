#include "pipeline/probe/edge_probe.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "pipeline/probe/edge_probe_module.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

int64_t edge_sentence_bytes(int64_t T, int64_t layers, int64_t d, int64_t value_bytes, int64_t targets) {
  return T * layers * d * value_bytes + targets * static_cast<int64_t>(sizeof(EdgeTarget) + 2 * sizeof(int32_t));
}

double EdgeScore::f1() const {
  const double whole = 2.0 * static_cast<double>(tp) + static_cast<double>(fp + fn);
  return whole > 0 ? 100.0 * 2.0 * static_cast<double>(tp) / whole : std::nan("");
}

EdgeBatch make_edge_batch(const std::vector<const EdgeSentence*>& sentences, int64_t dim, int64_t num_labels,
                          bool two_sided, bool padded_spans) {
  BTL_CHECK(!sentences.empty(), "make_edge_batch: no sentences");
  const int64_t layers = sentences.front()->layers;
  const bool half = sentences.front()->vectors.empty() && !sentences.front()->vectors_half.empty();
  int64_t P = 0, N = 0, S1 = 1, S2 = 1;
  for (const EdgeSentence* s : sentences) {
    BTL_CHECK(s->layers == layers, "make_edge_batch: sentences with different layer counts");
    P += s->tokens;
    N += static_cast<int64_t>(s->targets.size());
    for (const auto& t : s->targets) {
      S1 = std::max<int64_t>(S1, t.span1_end - t.span1_begin);
      if (two_sided) S2 = std::max<int64_t>(S2, t.span2_end - t.span2_begin);
    }
  }
  EdgeBatch b;
  b.targets = N;
  const int64_t row = layers * dim;
  if (half) {
    std::vector<uint16_t> bits(static_cast<size_t>(P * row));
    size_t at = 0;
    for (const EdgeSentence* s : sentences) {
      std::copy(s->vectors_half.begin(), s->vectors_half.end(), bits.begin() + static_cast<std::ptrdiff_t>(at));
      at += s->vectors_half.size();
    }
    b.x = torch::from_blob(bits.data(), {P, layers, dim}, torch::kHalf).to(torch::kFloat);
  } else {
    b.x = torch::empty({P, layers, dim});
    float* out = b.x.data_ptr<float>();
    for (const EdgeSentence* s : sentences) out = std::copy(s->vectors.begin(), s->vectors.end(), out);
  }
  int64_t Q1 = 0, Q2 = 0;
  for (const EdgeSentence* s : sentences)
    for (const auto& t : s->targets) Q1 += t.span1_end - t.span1_begin, Q2 += two_sided ? t.span2_end - t.span2_begin : 0;
  auto rows1 = torch::empty({Q1}, torch::kLong), target1 = torch::empty({Q1}, torch::kLong);
  auto rows2 = torch::empty({Q2}, torch::kLong), target2 = torch::empty({Q2}, torch::kLong);
  auto slot1 = torch::empty({Q1}, torch::kLong), slot2 = torch::empty({Q2}, torch::kLong);
  int64_t *r1 = rows1.data_ptr<int64_t>(), *g1 = target1.data_ptr<int64_t>(), *z1 = slot1.data_ptr<int64_t>();
  int64_t *r2 = rows2.data_ptr<int64_t>(), *g2 = target2.data_ptr<int64_t>(), *z2 = slot2.data_ptr<int64_t>();
  b.width1 = S1, b.width2 = S2;
  if (!padded_spans) S1 = S2 = 0;
  auto index1 = torch::zeros({N, S1}, torch::kLong), index2 = torch::zeros({N, S2}, torch::kLong);
  auto mask1 = torch::zeros({N, S1}, torch::kBool), mask2 = torch::zeros({N, S2}, torch::kBool);
  b.labels = torch::zeros({N, num_labels});
  auto i1 = index1.accessor<int64_t, 2>(), i2 = index2.accessor<int64_t, 2>();
  auto m1 = mask1.accessor<bool, 2>(), m2 = mask2.accessor<bool, 2>();
  auto lab = b.labels.accessor<float, 2>();
  int64_t base = 0, n = 0;
  for (const EdgeSentence* s : sentences) {
    for (const auto& t : s->targets) {
      BTL_CHECK(t.span1_begin >= 0 && t.span1_begin < t.span1_end && t.span1_end <= s->tokens, "edge target span 1 [",
                t.span1_begin, ", ", t.span1_end, ") outside a sentence of ", s->tokens, " tokens");
      for (int32_t k = t.span1_begin; k < t.span1_end; ++k) {
        if (padded_spans) i1[n][k - t.span1_begin] = base + k, m1[n][k - t.span1_begin] = true;
        *r1++ = base + k, *g1++ = n, *z1++ = n * b.width1 + (k - t.span1_begin);
      }
      if (two_sided) {
        BTL_CHECK(t.span2_begin >= 0 && t.span2_begin < t.span2_end && t.span2_end <= s->tokens,
                  "edge target span 2 outside its sentence");
        for (int32_t k = t.span2_begin; k < t.span2_end; ++k) {
          if (padded_spans) i2[n][k - t.span2_begin] = base + k, m2[n][k - t.span2_begin] = true;
          *r2++ = base + k, *g2++ = n, *z2++ = n * b.width2 + (k - t.span2_begin);
        }
      }
      for (int32_t l : t.labels) {
        BTL_CHECK(l >= 0 && l < num_labels, "edge target label ", l, " outside 0..", num_labels - 1);
        lab[n][l] = 1.0f;
      }
      n += 1;
    }
    base += s->tokens;
  }
  b.index1 = index1, b.mask1 = mask1, b.rows1 = rows1, b.target1 = target1, b.slot1 = slot1;
  if (two_sided) b.index2 = index2, b.mask2 = mask2, b.rows2 = rows2, b.target2 = target2, b.slot2 = slot2;
  return b;
}

EdgeProbeModuleImpl::EdgeProbeModuleImpl(int64_t dim, int64_t layers, const EdgeProbeOptions& o)
    : pooling_(o.pooling), mix_(o.mix), two_sided_(o.two_sided), dropout_(o.dropout), input_dropout_(o.input_dropout),
      dropout_stream_(o.seed) {
  BTL_REQUIRE(o.pooling == "attn" || o.pooling == "mean" || o.pooling == "max", "edge probe: unknown pooling ", o.pooling);
  BTL_CHECK(mix_ || layers == 1, "edge probe: ", layers, " layers per token without a scalar mix");
  proj1 = register_module("proj1", torch::nn::Linear(dim, o.proj_dim));
  attn1 = register_module("attn1", torch::nn::Linear(o.proj_dim, 1));
  if (two_sided_) {
    proj2 = register_module("proj2", torch::nn::Linear(dim, o.proj_dim));
    attn2 = register_module("attn2", torch::nn::Linear(o.proj_dim, 1));
  }
  linear1 = register_module("linear1", torch::nn::Linear((two_sided_ ? 2 : 1) * o.proj_dim, o.hidden));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.hidden})));
  linear2 = register_module("linear2", torch::nn::Linear(o.hidden, o.num_labels));
  mix_scalars = register_parameter("mix_scalars", torch::zeros({layers}), mix_);
  mix_gamma = register_parameter("mix_gamma", torch::ones({1}), mix_);
}

torch::Tensor EdgeProbeModuleImpl::mix_layers(const torch::Tensor& x) {
  if (!mix_) return x.select(1, 0);
  // [P, layers, d] · softmax(a) [layers] → [P, d], times γ.
  const auto w = torch::softmax(mix_scalars, 0);
  return mix_gamma * torch::einsum("pld,l->pd", {x, w});
}

std::vector<double> EdgeProbeModuleImpl::mix_weights() {
  if (!mix_) return {};
  torch::NoGradGuard no_grad;
  const auto w = torch::softmax(mix_scalars, 0).to(torch::kDouble).contiguous();
  return std::vector<double>(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
}

torch::Tensor EdgeProbeModuleImpl::span_representation(const torch::Tensor& x, const torch::Tensor& index,
                                                       const torch::Tensor& mask, const torch::Tensor& rows,
                                                       const torch::Tensor& target, const torch::Tensor& slot,
                                                       int64_t width, int64_t targets, torch::nn::Linear& proj,
                                                       torch::nn::Linear& attn) {
  const int64_t d = x.size(1);
  if (pooling_ == "max") {  // projected first: max does not commute with the projection
    const int64_t N = index.size(0), S = index.size(1);
    const auto tokens = x.index_select(0, index.reshape({-1})).reshape({N, S, d});  // [N, S, d]
    const auto p = proj->forward(tokens).masked_fill(~mask.unsqueeze(2), -std::numeric_limits<float>::infinity());
    return std::get<0>(p.max(1));  // [N, proj_dim]
  }
  // Every span token once ([Q, d], no padding to the longest span), pooled per target by scatter.
  const auto tokens = x.index_select(0, rows);
  torch::Tensor alpha;  // [Q]: each target's weights sum to 1
  if (pooling_ == "attn") {
    // v·(W x + b) + c = (Wᵀ v)·x + const: the constant cancels in the softmax.
    const auto u = torch::matmul(attn->weight, proj->weight).reshape({d});  // [d]
    const auto logits = torch::mv(tokens, u);                                 // [Q]
    // Softmax per target on a [N, width] grid of the logits (−inf where a span is shorter).
    const auto grid = torch::full({targets * width}, -std::numeric_limits<float>::infinity()).index_put({slot}, logits);
    alpha = torch::softmax(grid.view({targets, width}), 1).view({-1}).index_select(0, slot);
  } else {
    const auto ones = torch::ones({tokens.size(0)});
    alpha = ones / torch::zeros({targets}).index_add(0, target, ones).index_select(0, target);
  }
  const auto pooled = torch::zeros({targets, d}).index_add(0, target, tokens * alpha.unsqueeze(1));  // [N, d]
  return proj->forward(pooled);  // Σ α = 1: equals Σ α_i (W x_i + b)
}

torch::Tensor EdgeProbeModuleImpl::forward(const EdgeBatch& b) {
  const bool drop = is_training();
  const auto mixed = mix_layers(b.x);
  const auto x = drop ? dropout_stream_.apply(mixed, input_dropout_) : mixed;
  auto rep = span_representation(x, b.index1, b.mask1, b.rows1, b.target1, b.slot1, b.width1, b.targets, proj1, attn1);
  if (two_sided_)
    rep = torch::cat(
        {rep, span_representation(x, b.index2, b.mask2, b.rows2, b.target2, b.slot2, b.width2, b.targets, proj2, attn2)}, 1);
  const auto hidden = norm->forward(torch::tanh(linear1->forward(rep)));
  return linear2->forward(drop ? dropout_stream_.apply(hidden, dropout_) : hidden);
}

namespace {

void add_score(const torch::Tensor& logits, const torch::Tensor& labels, int64_t score_label, EdgeScore& s) {
  auto predicted = logits > 0, gold = labels > 0.5f;
  if (score_label >= 0) predicted = predicted.select(1, score_label), gold = gold.select(1, score_label);
  s.tp += (predicted & gold).sum().item<int64_t>();
  s.fp += (predicted & ~gold).sum().item<int64_t>();
  s.fn += (~predicted & gold).sum().item<int64_t>();
  s.targets += logits.size(0);
}

/// Batches of `batch` items of `order`, loaded in windows of whole batches under `hold_bytes`.
template <typename Step>
void for_each_batch(EdgeSentenceSource& source, const std::vector<int64_t>& order, int64_t batch, int64_t hold_bytes,
                    bool (*should_stop)(), Step step) {
  const int64_t n = static_cast<int64_t>(order.size()), batches = (n + batch - 1) / batch;
  const auto batch_bytes = [&](int64_t k) {
    int64_t bytes = 0;
    for (int64_t q = k * batch; q < std::min(n, (k + 1) * batch); ++q) bytes += source.bytes(order[static_cast<size_t>(q)]);
    return bytes;
  };
  for (const auto& [first, last] : split_into_windows(index_order(batches), batch_bytes, hold_bytes)) {
    const int64_t begin = static_cast<int64_t>(first) * batch, end = std::min(n, static_cast<int64_t>(last) * batch);
    const auto window = source.load(std::vector<int64_t>(order.begin() + begin, order.begin() + end));
    for (int64_t b = begin; b < end; b += batch) {
      if (should_stop && should_stop()) throw StopRequested{};
      std::vector<const EdgeSentence*> sentences;
      for (int64_t k = b; k < std::min(end, b + batch); ++k)
        if (!window[static_cast<size_t>(k - begin)]->targets.empty()) sentences.push_back(window[static_cast<size_t>(k - begin)]);
      if (!sentences.empty()) step(sentences);
    }
  }
}

EdgeScore evaluate(EdgeProbeModule& net, EdgeSentenceSource& source, int64_t dim, const EdgeProbeOptions& o,
                   int64_t hold_bytes, bool (*should_stop)()) {
  torch::NoGradGuard no_grad;
  net->eval();
  EdgeScore score;
  for_each_batch(source, index_order(source.count()), o.batch_sentences, hold_bytes, should_stop,
                 [&](const std::vector<const EdgeSentence*>& sentences) {
                   const EdgeBatch b = make_edge_batch(sentences, dim, o.num_labels, o.two_sided, o.pooling == "max");
                   add_score(net->forward(b), b.labels, o.score_label, score);
                 });
  net->train();
  return score;
}

}  // namespace

EdgeProbeResult train_edge_probe(EdgeSentenceSource& train, EdgeSentenceSource& dev, EdgeSentenceSource& test,
                                 int64_t dim, const EdgeProbeOptions& o, int64_t hold_bytes, bool (*should_stop)()) {
  BTL_REQUIRE(train.count() > 0, "edge probe: no training sentences");
  BTL_CHECK(o.num_labels > 0 && o.score_label < o.num_labels, "edge probe: bad label options");
  torch::manual_seed(o.seed);
  int64_t layers = 1;
  {
    const auto first = train.load({0});
    layers = first.front()->layers;
  }
  EdgeProbeModule net(dim, layers, o);
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(o.lr).amsgrad(true));
  EdgeSentenceSource& select = dev.count() == 0 ? train : dev;

  std::vector<int64_t> order = index_order(train.count());
  std::mt19937_64 rng(o.seed);
  EdgeProbeResult result;
  double best = -1.0, lr = o.lr;
  int since_best = 0, since_lr = 0;
  std::vector<torch::Tensor> best_state;
  const auto snapshot = [&] {
    best_state.clear();
    for (const auto& p : net->parameters()) best_state.push_back(p.detach().clone());
  };
  snapshot();
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    shuffle_epoch(order, o.shuffle, rng);
    for_each_batch(train, order, o.batch_sentences, hold_bytes, should_stop,
                   [&](const std::vector<const EdgeSentence*>& sentences) {
                     const EdgeBatch b = make_edge_batch(sentences, dim, o.num_labels, o.two_sided, o.pooling == "max");
                     optimizer.zero_grad();
                     const auto loss = torch::binary_cross_entropy_with_logits(net->forward(b), b.labels);
                     loss.backward();
                     torch::nn::utils::clip_grad_norm_(net->parameters(), o.max_grad_norm);
                     optimizer.step();
                   });
    result.epochs = epoch;
    const double f1 = evaluate(net, select, dim, o, hold_bytes, should_stop).f1();
    const double score = std::isnan(f1) ? 0.0 : f1;
    if (score > best) {
      best = score;
      result.best_epoch = epoch;
      snapshot();
      since_best = since_lr = 0;
    } else {
      if (++since_best >= o.patience) break;
      if (++since_lr >= o.lr_patience) {
        lr *= o.lr_decay;
        since_lr = 0;
        for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      }
    }
  }
  {
    torch::NoGradGuard no_grad;
    auto params = net->parameters();
    for (size_t k = 0; k < params.size(); ++k) params[k].copy_(best_state[k]);
  }
  result.dev = evaluate(net, select, dim, o, hold_bytes, should_stop);
  result.test = evaluate(net, test, dim, o, hold_bytes, should_stop);
  result.mix_weights = net->mix_weights();
  if (o.mix) result.mix_gamma = net->mix_gamma.item<double>();
  return result;
}

EdgeProbeResult train_edge_probe(const std::vector<EdgeSentence>& train, const std::vector<EdgeSentence>& dev,
                                 const std::vector<EdgeSentence>& test, int64_t dim, const EdgeProbeOptions& o,
                                 bool (*should_stop)()) {
  const auto bytes_of = [](const EdgeSentence& s) {
    return static_cast<int64_t>(s.vectors.size() * sizeof(float) + s.vectors_half.size() * sizeof(uint16_t));
  };
  HeldSource<EdgeSentence> tr(train, bytes_of), de(dev, bytes_of), te(test, bytes_of);
  return train_edge_probe(tr, de, te, dim, o, std::numeric_limits<int64_t>::max(), should_stop);
}

}  // namespace bertology
