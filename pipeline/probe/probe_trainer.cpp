#include "pipeline/probe/probe_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {
namespace {

/// The probe: optional scalar mix, then the classifier.
struct ProbeNet : torch::nn::Module {
  torch::Tensor mix_logits, mix_gamma;  // scalar mix (defined when mix_layers > 0)
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear hidden{nullptr}, out{nullptr};
  std::string kind;

  ProbeNet(const ProbeOptions& o, int64_t dim) : kind(o.model) {
    if (o.mix_layers > 0) {
      mix_logits = register_parameter("mix_logits", torch::zeros({o.mix_layers}));
      mix_gamma = register_parameter("mix_gamma", torch::ones({1}));
    }
    if (kind == "dropout_linear" || kind == "mlp") dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
    if (kind == "mlp") {
      hidden = register_module("hidden", torch::nn::Linear(dim, o.hidden));
      out = register_module("out", torch::nn::Linear(o.hidden, o.num_classes));
    } else if (kind == "linear" || kind == "dropout_linear") {
      out = register_module("out", torch::nn::Linear(dim, o.num_classes));
    } else {
      throw InputError(cat("probe.model: unknown probe '", kind, "' (linear, dropout_linear, mlp)"));
    }
  }

  /// x: [B, dim] or, with a scalar mix, [B, M, dim] -> logits [B, classes].
  torch::Tensor forward(torch::Tensor x) {
    if (mix_logits.defined()) x = mix_gamma * (torch::softmax(mix_logits, 0).view({1, -1, 1}) * x).sum(1);
    if (kind == "dropout_linear") return out(dropout(x));
    if (kind == "mlp") return out(dropout(torch::relu(hidden(x))));
    return out(x);
  }
};

/// [rows, dim], or [rows, layers, dim] for a scalar-mix probe (even over one layer).
torch::Tensor features_of(const ProbeData& d, const ProbeOptions& o) {
  auto t = torch::from_blob(const_cast<float*>(d.features.data()), {d.rows, d.layers, d.dim}, torch::kFloat32);
  return o.mix_layers > 0 ? t : t.view({d.rows, d.dim});
}

torch::Tensor labels_of(const ProbeData& d) {
  return torch::from_blob(const_cast<int64_t*>(d.labels.data()), {d.rows}, torch::kInt64);
}

void check(const ProbeData& d, const ProbeOptions& o, const char* name) {
  BTL_CHECK(static_cast<int64_t>(d.features.size()) == d.rows * d.layers * d.dim &&
                static_cast<int64_t>(d.labels.size()) == d.rows,
            "probe ", name, " split: features/labels do not match rows");
  BTL_CHECK((o.mix_layers > 0 ? o.mix_layers : 1) == d.layers, "probe ", name, " split: wrong layer count");
  BTL_CHECK(!o.position_task || (!d.groups.empty() && d.groups.back() == d.rows),
            "probe ", name, " split: position task without sentence groups");
}

/// Scores a split in eval mode, in batches.
ProbeScore evaluate(ProbeNet& net, const ProbeData& d, const ProbeOptions& o) {
  ProbeScore s;
  if (d.rows == 0) return s;
  torch::NoGradGuard no_grad;
  net.eval();
  const auto x = features_of(d, o);
  std::vector<torch::Tensor> parts;
  for (int64_t b = 0; b < d.rows; b += 4096) parts.push_back(net.forward(x.narrow(0, b, std::min<int64_t>(4096, d.rows - b))));
  const auto logits = torch::cat(parts, 0);
  if (!o.position_task) {
    s.correct = logits.argmax(1).eq(labels_of(d)).sum().item<int64_t>();
    s.count = d.rows;
    return s;
  }
  const auto score = logits.select(1, 1).contiguous();
  const float* v = score.data_ptr<float>();
  for (size_t g = 0; g + 1 < d.groups.size(); ++g) {
    const int64_t a = d.groups[g], b = d.groups[g + 1];
    if (a == b) continue;
    int64_t best = a, gold = -1;
    for (int64_t r = a; r < b; ++r) {
      if (v[r] > v[best]) best = r;
      if (gold < 0 && d.labels[static_cast<size_t>(r)] == 1) gold = r;
    }
    s.count += 1;
    s.correct += best == gold;
  }
  return s;
}

}  // namespace

ProbeResult train_probe(const ProbeData& train, const ProbeData& dev, const ProbeData& test, const ProbeOptions& o,
                        bool (*should_stop)(), const std::vector<const ProbeData*>& extra_tests) {
  check(train, o, "training");
  check(dev, o, "dev");
  check(test, o, "test");
  for (const auto* e : extra_tests) check(*e, o, "extra test");
  BTL_REQUIRE(train.rows > 0, "probe: no training examples");
  torch::manual_seed(o.seed);
  ProbeNet net(o, train.dim);
  std::vector<torch::Tensor> params = net.parameters();
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (o.optimizer == "adamw")
    optimizer = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  else
    optimizer = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));

  const auto x = features_of(train, o);
  const auto y = labels_of(train);
  std::vector<int64_t> order(static_cast<size_t>(train.rows));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(o.seed);
  ProbeResult result;
  double best_dev = -1;
  std::vector<torch::Tensor> best_state;
  int since_best = 0;
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    net.train();
    for (int64_t b = 0; b < train.rows; b += o.batch_size) {
      if (should_stop && should_stop()) throw StopRequested{};
      const int64_t n = std::min<int64_t>(o.batch_size, train.rows - b);
      const auto index = torch::from_blob(order.data() + b, {n}, torch::kInt64);
      optimizer->zero_grad();
      const auto loss = torch::nn::functional::cross_entropy(net.forward(x.index_select(0, index)), y.index_select(0, index));
      loss.backward();
      optimizer->step();
    }
    result.epochs = epoch;
    // Model selection on dev (on training accuracy when there is no dev split).
    const ProbeScore d = evaluate(net, dev.rows > 0 ? dev : train, o);
    if (d.accuracy() > best_dev) {
      best_dev = d.accuracy();
      result.best_epoch = epoch;
      result.dev = d;
      best_state.clear();
      for (const auto& p : net.parameters()) best_state.push_back(p.detach().clone());
      since_best = 0;
    } else if (++since_best >= o.patience) {
      break;
    }
  }
  {
    torch::NoGradGuard no_grad;
    auto current = net.parameters();
    for (size_t i = 0; i < current.size(); ++i) current[i].copy_(best_state[i]);
  }
  result.test = evaluate(net, test, o);
  for (const auto* e : extra_tests) result.extra.push_back(evaluate(net, *e, o));
  if (net.mix_logits.defined()) {
    const auto w = torch::softmax(net.mix_logits.detach(), 0);
    result.mix_weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    result.mix_gamma = net.mix_gamma.item<double>();
  }
  return result;
}

}  // namespace bertology
