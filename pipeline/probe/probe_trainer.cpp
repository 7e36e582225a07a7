#include "pipeline/probe/probe_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "pipeline/util/error.h"
#include "pipeline/util/heap_policy.h"
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

constexpr int64_t kEvalChunk = 4096;                     // rows per forward in evaluation, at most
constexpr int64_t kEvalChunkBytes = int64_t{16} << 20;  // float32 features per forward, at most

/// [rows, dim], or [rows, layers, dim] for a scalar-mix probe (even over one layer).
torch::Tensor shaped(const torch::Tensor& t, const ProbeOptions& o) {
  return o.mix_layers > 0 ? t : t.view({t.size(0), t.size(2)});
}

/// Features of rows `ids` of a split: [ids.size(), layers, dim], in a tensor of their own. The
/// freed heap is given back first (heap_policy.h: reads of varying sizes would leave holes).
torch::Tensor load_rows(ProbeSplit& s, const std::vector<int64_t>& ids) {
  release_freed_heap();
  auto t = torch::empty({static_cast<int64_t>(ids.size()), s.layers(), s.dim()}, torch::kFloat32);
  s.load(ids, t.data_ptr<float>());
  return t;
}

/// Where streamed windows are read: one float32 buffer, reused from window to window, so that a
/// streamed epoch neither allocates its windows nor faults their pages in again; replaced when a
/// window needs more. The rest of the freed heap (evaluation chunks, batches) is still given back
/// before each window (heap_policy.h): without that, the BERT-base-shaped scalar_mix on 4x the
/// corpus peaked at 215-243 MiB instead of 201 (scripts/bench/scale.sh). A window is valid until
/// the next read; the caller drops its previous window before reading the next.
class WindowBuffer {
 public:
  /// Rows `ids` of `s`: [ids.size(), layers, dim].
  torch::Tensor read(ProbeSplit& s, const std::vector<int64_t>& ids) {
    const int64_t n = static_cast<int64_t>(ids.size()), elements = n * s.layers() * s.dim();
    if (!buffer_.defined() || buffer_.numel() < elements) buffer_ = torch::Tensor();
    release_freed_heap();
    if (!buffer_.defined()) buffer_ = torch::empty({elements}, torch::kFloat32);
    auto t = buffer_.narrow(0, 0, elements).view({n, s.layers(), s.dim()});
    s.load(ids, t.data_ptr<float>());
    return t;
  }

 private:
  torch::Tensor buffer_;
};

/// Every feature of a split: its own memory when it holds them, else read once; as float16 when
/// `half` (exact_in_half splits), read an evaluation chunk at a time so that no float copy of the
/// whole split exists.
torch::Tensor all_rows(ProbeSplit& s, bool half) {
  if (const float* f = s.held_features())
    return torch::from_blob(const_cast<float*>(f), {s.rows(), s.layers(), s.dim()}, torch::kFloat32);
  if (!half) {
    std::vector<int64_t> ids(static_cast<size_t>(s.rows()));
    std::iota(ids.begin(), ids.end(), int64_t{0});
    return load_rows(s, ids);
  }
  auto all = torch::empty({s.rows(), s.layers(), s.dim()}, torch::kHalf);
  const int64_t chunk = probe_eval_chunk_rows(s.layers() * s.dim() * static_cast<int64_t>(sizeof(float)));
  for (int64_t b = 0; b < s.rows(); b += chunk) {
    std::vector<int64_t> ids(static_cast<size_t>(std::min<int64_t>(chunk, s.rows() - b)));
    std::iota(ids.begin(), ids.end(), b);
    all.narrow(0, b, static_cast<int64_t>(ids.size())).copy_(load_rows(s, ids));
  }
  return all;
}

torch::Tensor labels_of(const ProbeSplit& s) {
  return torch::from_blob(const_cast<int64_t*>(s.labels().data()), {s.rows()}, torch::kInt64);
}

void check(ProbeSplit& d, const ProbeOptions& o, const char* name) {
  BTL_CHECK(static_cast<int64_t>(d.labels().size()) == d.rows(), "probe ", name, " split: labels do not match rows");
  BTL_CHECK(!d.held_features() || d.dim() > 0, "probe ", name, " split: no feature size");
  BTL_CHECK((o.mix_layers > 0 ? o.mix_layers : 1) == d.layers(), "probe ", name, " split: wrong layer count");
  BTL_CHECK(!o.position_task || (!d.groups().empty() && d.groups().back() == d.rows()),
            "probe ", name, " split: position task without sentence groups");
}

/// Scores a split in eval mode, probe_eval_chunk_rows rows per forward; `held` = all its features,
/// or undefined to read them in windows of `window_rows` (a multiple of that chunk), so that each
/// forward sees the same rows either way.
ProbeScore evaluate(ProbeNet& net, ProbeSplit& d, const torch::Tensor& held, int64_t window_rows,
                    const ProbeOptions& o, WindowBuffer& buffer, int64_t& windows) {
  ProbeScore s;
  if (d.rows() == 0) return s;
  torch::NoGradGuard no_grad;
  net.eval();
  const auto labels = labels_of(d);
  std::vector<float> score;  // position tasks: the class-1 logit of every row
  if (o.position_task) score.resize(static_cast<size_t>(d.rows()));
  const int64_t chunk = probe_eval_chunk_rows(d.layers() * d.dim() * static_cast<int64_t>(sizeof(float)));
  const int64_t step = held.defined() ? d.rows() : window_rows;
  for (int64_t w = 0; w < d.rows(); w += step) {
    const int64_t wn = std::min(step, d.rows() - w);
    torch::Tensor x = held;
    if (!held.defined()) {
      std::vector<int64_t> ids(static_cast<size_t>(wn));
      std::iota(ids.begin(), ids.end(), w);
      x = buffer.read(d, ids);
      windows += 1;
    }
    x = shaped(x, o);
    for (int64_t b = 0; b < wn; b += chunk) {
      const int64_t n = std::min<int64_t>(chunk, wn - b);
      const auto logits = net.forward(x.narrow(0, b, n).to(torch::kFloat));  // float16 when held so
      if (!o.position_task) {
        s.correct += logits.argmax(1).eq(labels.narrow(0, w + b, n)).sum().item<int64_t>();
        continue;
      }
      const auto one = logits.select(1, 1).contiguous();
      std::copy_n(one.data_ptr<float>(), n, score.begin() + w + b);
    }
  }
  if (!o.position_task) {
    s.count = d.rows();
    return s;
  }
  const auto& groups = d.groups();
  const auto& gold_labels = d.labels();
  for (size_t g = 0; g + 1 < groups.size(); ++g) {
    const int64_t a = groups[g], b = groups[g + 1];
    if (a == b) continue;
    int64_t best = a, gold = -1;
    for (int64_t r = a; r < b; ++r) {
      if (score[static_cast<size_t>(r)] > score[static_cast<size_t>(best)]) best = r;
      if (gold < 0 && gold_labels[static_cast<size_t>(r)] == 1) gold = r;
    }
    s.count += 1;
    s.correct += best == gold;
  }
  return s;
}

ProbeResult train_splits(ProbeSplit& train, ProbeSplit& dev, ProbeSplit& test, const std::vector<ProbeSplit*>& extras,
                         const ProbeOptions& o, int64_t hold_bytes, bool (*should_stop)(), ProbeReads* reads) {
  check(train, o, "training");
  check(dev, o, "dev");
  check(test, o, "test");
  for (auto* e : extras) check(*e, o, "extra test");
  BTL_REQUIRE(train.rows() > 0, "probe: no training examples");
  torch::manual_seed(o.seed);
  ProbeNet net(o, train.dim());
  std::vector<torch::Tensor> params = net.parameters();
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (o.optimizer == "adamw")
    optimizer = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  else
    optimizer = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));

  // Held: every split read once. Streamed: windows of whole batches (training) and of whole
  // evaluation chunks, at least one of each.
  const int64_t row_bytes = train.layers() * train.dim() * static_cast<int64_t>(sizeof(float));
  int64_t all_rows_count = train.rows() + dev.rows() + test.rows();
  bool half = train.exact_in_half() && dev.exact_in_half() && test.exact_in_half();
  for (auto* e : extras) {
    all_rows_count += e->rows();
    half = half && e->exact_in_half();
  }
  const bool held = all_rows_count * (half ? row_bytes / 2 : row_bytes) <= hold_bytes;
  const int64_t hold_rows = std::max<int64_t>(1, hold_bytes / std::max<int64_t>(1, row_bytes));
  const int64_t train_window = std::max<int64_t>(1, hold_rows / o.batch_size) * o.batch_size;
  const int64_t eval_chunk = probe_eval_chunk_rows(row_bytes);
  const int64_t eval_window = std::max<int64_t>(1, hold_rows / eval_chunk) * eval_chunk;
  int64_t windows = 0;
  WindowBuffer buffer;
  torch::Tensor x_train, x_dev, x_test;
  if (held) {
    x_train = all_rows(train, half), x_dev = all_rows(dev, half), x_test = all_rows(test, half);
    windows += 3;
  }
  const auto y = labels_of(train);
  std::vector<int64_t> order(static_cast<size_t>(train.rows()));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(o.seed);
  ProbeResult result;
  double best_dev = -1;
  std::vector<torch::Tensor> best_state;
  int since_best = 0;
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    shuffle_epoch(order, o.shuffle, rng);
    net.train();
    const int64_t step = held ? train.rows() : train_window;
    for (int64_t w = 0; w < train.rows(); w += step) {
      const int64_t wn = std::min(step, train.rows() - w);
      torch::Tensor window;
      if (!held) {
        window = shaped(buffer.read(train, std::vector<int64_t>(order.begin() + w, order.begin() + w + wn)), o);
        windows += 1;
      }
      for (int64_t b = w; b < w + wn; b += o.batch_size) {
        if (should_stop && should_stop()) throw StopRequested{};
        const int64_t n = std::min<int64_t>(o.batch_size, train.rows() - b);
        const auto index = torch::from_blob(order.data() + b, {n}, torch::kInt64);
        const auto x = held ? shaped(x_train, o).index_select(0, index).to(torch::kFloat) : window.narrow(0, b - w, n);
        optimizer->zero_grad();
        const auto loss = torch::nn::functional::cross_entropy(net.forward(x), y.index_select(0, index));
        loss.backward();
        optimizer->step();
      }
    }
    result.epochs = epoch;
    // Model selection on dev (on training accuracy when there is no dev split).
    const ProbeScore d = dev.rows() > 0 ? evaluate(net, dev, x_dev, eval_window, o, buffer, windows)
                                        : evaluate(net, train, x_train, eval_window, o, buffer, windows);
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
  result.test = evaluate(net, test, x_test, eval_window, o, buffer, windows);
  for (auto* e : extras)
    result.extra.push_back(evaluate(net, *e, held ? all_rows(*e, half) : torch::Tensor(), eval_window, o, buffer, windows));
  if (net.mix_logits.defined()) {
    const auto w = torch::softmax(net.mix_logits.detach(), 0);
    result.mix_weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    result.mix_gamma = net.mix_gamma.item<double>();
  }
  if (reads) *reads = ProbeReads{!held, windows, held && half};
  return result;
}

}  // namespace

int64_t probe_eval_chunk_rows(int64_t row_bytes) {
  return std::clamp<int64_t>(kEvalChunkBytes / std::max<int64_t>(1, row_bytes), 1, kEvalChunk);
}

int64_t probe_working_bytes(int64_t layers, int64_t dim, int64_t batch_size) {
  const int64_t row_bytes = layers * dim * static_cast<int64_t>(sizeof(float));
  return 2 * probe_eval_chunk_rows(row_bytes) * row_bytes + 4 * batch_size * row_bytes;
}

std::string ProbeReads::describe() const {
  if (streamed) return cat("streamed in ", windows, " windows");
  return held_in_half ? "features held (float16)" : "features held (float32)";
}

void HeldProbeSplit::load(const std::vector<int64_t>& ids, float* out) {
  const int64_t row = data_.layers * data_.dim;
  for (int64_t i : ids) out = std::copy_n(data_.features.data() + i * row, row, out);
}

ProbeResult train_probe(const ProbeData& train, const ProbeData& dev, const ProbeData& test, const ProbeOptions& o,
                        bool (*should_stop)(), const std::vector<const ProbeData*>& extra_tests) {
  for (const ProbeData* d : {&train, &dev, &test})
    BTL_CHECK(static_cast<int64_t>(d->features.size()) == d->rows * d->layers * d->dim,
              "probe split: features do not match rows");
  HeldProbeSplit tr(train), de(dev), te(test);
  std::vector<HeldProbeSplit> extra_splits;
  extra_splits.reserve(extra_tests.size());
  for (const auto* e : extra_tests) extra_splits.emplace_back(*e);
  std::vector<ProbeSplit*> extras;
  for (auto& e : extra_splits) extras.push_back(&e);
  return train_splits(tr, de, te, extras, o, std::numeric_limits<int64_t>::max(), should_stop, nullptr);
}

ProbeResult train_probe(ProbeSplit& train, ProbeSplit& dev, ProbeSplit& test, const ProbeOptions& o, int64_t hold_bytes,
                        bool (*should_stop)(), ProbeReads* reads, const std::vector<ProbeSplit*>& extra_tests) {
  return train_splits(train, dev, test, extra_tests, o, hold_bytes, should_stop, reads);
}

}  // namespace bertology
