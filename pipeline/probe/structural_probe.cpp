#include "pipeline/probe/structural_probe.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "pipeline/probe/tree_metrics.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"
#include "pipeline/util/percent.h"

namespace bertology {
namespace {

/// Gold targets of a sentence as tensors: distances [n, n] or depths [n].
torch::Tensor gold_of(const StructuralSentence& s, bool distance) {
  if (distance) {
    const auto d = tree_distances(s.heads);
    return torch::tensor(std::vector<float>(d.begin(), d.end())).view({s.n, s.n});
  }
  const auto d = tree_depths(s.heads);
  return torch::tensor(std::vector<float>(d.begin(), d.end()));
}

torch::Tensor vectors_of(const StructuralSentence& s, int64_t dim) {
  if (!s.vectors_half.empty())  // float16 bits held exactly: widen for the float32 probe
    return torch::from_blob(const_cast<uint16_t*>(s.vectors_half.data()), {s.n, dim}, torch::kHalf).to(torch::kFloat32);
  return torch::from_blob(const_cast<float*>(s.vectors.data()), {s.n, dim}, torch::kFloat32);
}

/// Predicted squared distances [n, n] or squared norms [n].
torch::Tensor predict(const torch::Tensor& B, const torch::Tensor& h, bool distance) {
  auto t = torch::matmul(h, B.t());  // [n, rank]
  if (!distance) return (t * t).sum(1);
  auto diff = t.unsqueeze(1) - t.unsqueeze(0);  // [n, n, rank]
  return (diff * diff).sum(2);
}

torch::Tensor sentence_loss(const torch::Tensor& predicted, const torch::Tensor& gold, int n, bool distance) {
  return (predicted - gold).abs().sum() / (distance ? static_cast<double>(n) * n : static_cast<double>(n));
}

double mean_loss(const torch::Tensor& B, StructuralSentenceSource& data, int64_t dim, bool distance, int64_t hold_bytes) {
  torch::NoGradGuard no_grad;
  double total = 0;
  visit_in_windows(data, index_order(data.count()), hold_bytes, [&](const StructuralSentence& s) {
    total += sentence_loss(predict(B, vectors_of(s, dim), distance), gold_of(s, distance), s.n, distance).item<double>();
  });
  return data.count() == 0 ? 0.0 : total / static_cast<double>(data.count());
}

}  // namespace

double PlateauDecay::step(double loss) {
  if (loss < best * (1.0 - 1e-4)) {
    best = loss;
  } else if (const double decayed = lr * factor; lr - decayed > 1e-8) {
    lr = decayed;
  }
  return lr;
}

int64_t structural_sentence_bytes(int64_t n, int64_t d, int64_t value_bytes) {
  return n * d * value_bytes + n * static_cast<int64_t>(sizeof(int) + 1);
}

StructuralResult train_structural_probe(const std::vector<StructuralSentence>& train,
                                        const std::vector<StructuralSentence>& dev,
                                        const std::vector<StructuralSentence>& test, int64_t dim,
                                        const StructuralOptions& o, bool (*should_stop)()) {
  const auto bytes_of = [](const StructuralSentence& s) {
    return static_cast<int64_t>(s.vectors.size() * sizeof(float) + s.vectors_half.size() * sizeof(uint16_t) +
                                s.heads.size() * sizeof(int) + s.keep.size());
  };
  HeldSource<StructuralSentence> tr(train, bytes_of), de(dev, bytes_of), te(test, bytes_of);
  return train_structural_probe(tr, de, te, dim, o, std::numeric_limits<int64_t>::max(), should_stop);
}

StructuralResult train_structural_probe(StructuralSentenceSource& train, StructuralSentenceSource& dev,
                                        StructuralSentenceSource& test, int64_t dim, const StructuralOptions& o,
                                        int64_t hold_bytes, bool (*should_stop)()) {
  BTL_REQUIRE(o.kind == "distance" || o.kind == "depth", "structural probe: unknown kind ", o.kind);
  BTL_REQUIRE(train.count() > 0, "structural probe: no training sentences");
  const bool distance = o.kind == "distance";
  torch::manual_seed(o.seed);
  torch::Tensor B = torch::empty({o.rank, dim}).uniform_(-0.05, 0.05).requires_grad_(true);
  torch::optim::Adam optimizer({B}, torch::optim::AdamOptions(o.lr));
  StructuralSentenceSource& select = dev.count() == 0 ? train : dev;

  std::vector<size_t> order(static_cast<size_t>(train.count()));
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(o.seed);
  const int64_t batch = o.batch_sentences;
  const int64_t batches = (train.count() + batch - 1) / batch;
  StructuralResult result;
  double best = std::numeric_limits<double>::infinity();
  torch::Tensor best_B = B.detach().clone();
  int since_best = 0;
  PlateauDecay decay{o.lr, o.lr_decay};
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    shuffle_epoch(order, o.shuffle, rng);
    // Windows of whole batches: batch k holds positions [k·batch, min((k + 1)·batch, n)) of order.
    const auto batch_bytes = [&](int64_t k) {
      int64_t bytes = 0;
      for (int64_t q = k * batch; q < std::min(train.count(), (k + 1) * batch); ++q)
        bytes += train.bytes(static_cast<int64_t>(order[static_cast<size_t>(q)]));
      return bytes;
    };
    for (const auto& [first, last] : split_into_windows(index_order(batches), batch_bytes, hold_bytes)) {
      const int64_t begin = static_cast<int64_t>(first) * batch;
      const int64_t end = std::min(train.count(), static_cast<int64_t>(last) * batch);
      const auto window = train.load(std::vector<int64_t>(order.begin() + begin, order.begin() + end));
      for (int64_t b = begin; b < end; b += batch) {
        if (should_stop && should_stop()) throw StopRequested{};
        const int64_t e = std::min(end, b + batch);
        optimizer.zero_grad();
        torch::Tensor loss = torch::zeros({});
        for (int64_t k = b; k < e; ++k) {
          const auto& s = *window[static_cast<size_t>(k - begin)];
          loss = loss + sentence_loss(predict(B, vectors_of(s, dim), distance), gold_of(s, distance), s.n, distance);
        }
        (loss / static_cast<double>(e - b)).backward();
        optimizer.step();
      }
    }
    result.epochs = epoch;
    const double l = mean_loss(B, select, dim, distance, hold_bytes);
    const double lr = decay.step(l);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    // Hewitt stops when the dev loss fails to improve by 1e-4.
    if (l < best - 1e-4) {
      best = l;
      best_B = B.detach().clone();
      result.best_epoch = epoch;
      since_best = 0;
    } else if (++since_best >= o.patience) {
      break;
    }
  }

  result.final_lr = decay.lr;
  torch::NoGradGuard no_grad;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  UuasCount uuas_total;
  LengthAveragedSpearman spearman_by_length;
  int64_t roots_correct = 0, roots = 0;
  visit_in_windows(test, index_order(test.count()), hold_bytes, [&](const StructuralSentence& s) {
    const auto p = predict(best_B, vectors_of(s, dim), distance).contiguous();
    const std::vector<double> predicted(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    if (distance) {
      const UuasCount u = uuas(predicted, s.heads, s.keep);
      uuas_total.correct += u.correct;
      uuas_total.total += u.total;
      // DSpr as Hewitt: every word, its whole row.
      for (double rho : distance_spearman_of_sentence(predicted, s.heads, std::vector<bool>(static_cast<size_t>(s.n), true)))
        spearman_by_length.add(s.n, rho);
    } else {
      int gold_root = -1;
      for (int i = 0; i < s.n; ++i)
        if (s.heads[static_cast<size_t>(i)] == 0) gold_root = i;
      roots += 1;
      roots_correct += least_deep(predicted, s.keep) == gold_root;
      const auto depths = tree_depths(s.heads);
      spearman_by_length.add(s.n, spearman(predicted, std::vector<double>(depths.begin(), depths.end())));
    }
  });
  result.sentences = test.count();
  if (distance) {
    result.uuas = percent(static_cast<double>(uuas_total.correct), static_cast<double>(uuas_total.total));
    result.dspr = spearman_by_length.mean();
    result.root_accuracy = result.nspr = nan;
  } else {
    result.root_accuracy = percent(static_cast<double>(roots_correct), static_cast<double>(roots));
    result.nspr = spearman_by_length.mean();
    result.uuas = result.dspr = nan;
  }
  return result;
}

}  // namespace bertology
