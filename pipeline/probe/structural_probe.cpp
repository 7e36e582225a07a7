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

double mean_loss(const torch::Tensor& B, const std::vector<StructuralSentence>& data, const std::vector<torch::Tensor>& gold,
                 int64_t dim, bool distance) {
  torch::NoGradGuard no_grad;
  double total = 0;
  for (size_t i = 0; i < data.size(); ++i)
    total += sentence_loss(predict(B, vectors_of(data[i], dim), distance), gold[i], data[i].n, distance).item<double>();
  return data.empty() ? 0.0 : total / static_cast<double>(data.size());
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

StructuralResult train_structural_probe(const std::vector<StructuralSentence>& train,
                                        const std::vector<StructuralSentence>& dev,
                                        const std::vector<StructuralSentence>& test, int64_t dim,
                                        const StructuralOptions& o, bool (*should_stop)()) {
  BTL_REQUIRE(o.kind == "distance" || o.kind == "depth", "structural probe: unknown kind ", o.kind);
  BTL_REQUIRE(!train.empty(), "structural probe: no training sentences");
  const bool distance = o.kind == "distance";
  torch::manual_seed(o.seed);
  torch::Tensor B = torch::empty({o.rank, dim}).uniform_(-0.05, 0.05).requires_grad_(true);
  torch::optim::Adam optimizer({B}, torch::optim::AdamOptions(o.lr));
  std::vector<torch::Tensor> train_gold, dev_gold;
  for (const auto& s : train) train_gold.push_back(gold_of(s, distance));
  for (const auto& s : dev) dev_gold.push_back(gold_of(s, distance));
  const auto& select = dev.empty() ? train : dev;
  const auto& select_gold = dev.empty() ? train_gold : dev_gold;

  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(o.seed);
  StructuralResult result;
  double best = std::numeric_limits<double>::infinity();
  torch::Tensor best_B = B.detach().clone();
  int since_best = 0;
  PlateauDecay decay{o.lr, o.lr_decay};
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t b = 0; b < order.size(); b += static_cast<size_t>(o.batch_sentences)) {
      if (should_stop && should_stop()) throw StopRequested{};
      const size_t e = std::min(order.size(), b + static_cast<size_t>(o.batch_sentences));
      optimizer.zero_grad();
      torch::Tensor loss = torch::zeros({});
      for (size_t k = b; k < e; ++k) {
        const auto& s = train[order[k]];
        loss = loss + sentence_loss(predict(B, vectors_of(s, dim), distance), train_gold[order[k]], s.n, distance);
      }
      (loss / static_cast<double>(e - b)).backward();
      optimizer.step();
    }
    result.epochs = epoch;
    const double l = mean_loss(B, select, select_gold, dim, distance);
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
  for (const auto& s : test) {
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
  }
  result.sentences = static_cast<int64_t>(test.size());
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
