#include "stages/attention_probe/attention_probes.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>

#include "pipeline/model/checkpoint.h"
#include "pipeline/model/checkpoint_files.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

const char* probe_kind_name(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::Attn: return "attn";
    case ProbeKind::AttnWords: return "attn_words";
    case ProbeKind::DistancesWords: return "distances_words";
  }
  return "?";
}

RootFeatures parse_root_features(const std::string& name) {
  if (name == "released") return RootFeatures::Released;
  if (name == "free") return RootFeatures::Free;
  throw InputError(cat("clark.root_features: unknown value '", name, "' (expected released or free)"));
}

namespace {

constexpr float kMasked = -1e9f;

/// Tensors of one sentence.
struct SentenceTensors {
  torch::Tensor attention;  // [K, n, n]
  torch::Tensor root;       // [K, n, 4]: j→[CLS], j→[SEP], [CLS]→j, [SEP]→j
  torch::Tensor vectors;    // [n, dv]
  torch::Tensor gold;       // [n] int64
  torch::Tensor self_mask;  // [n, n + 1]: kMasked where candidate = the word itself
};

SentenceTensors to_tensors(const ProbeSentence& s, int K, int dv) {
  const int64_t n = s.n;
  SentenceTensors t;
  if (!s.attention.empty()) {  // distances_words reads none
    t.attention = torch::from_blob(const_cast<float*>(s.attention.data()), {K, n, n}, torch::kFloat32);
    t.root = torch::from_blob(const_cast<float*>(s.root.data()), {K, n, 4}, torch::kFloat32);
  }
  t.vectors = torch::from_blob(const_cast<float*>(s.vectors.data()), {n, dv}, torch::kFloat32);
  std::vector<int64_t> gold(s.gold.begin(), s.gold.end());
  t.gold = torch::tensor(gold, torch::kInt64);
  t.self_mask = torch::zeros({n, n + 1});
  t.self_mask.narrow(1, 1, n).fill_diagonal_(kMasked);
  return t;
}

/// Base of the probes: logits [n, n + 1] (column 0 = ROOT) for one sentence.
struct ProbeImpl : torch::nn::Module {
  virtual torch::Tensor logits(const SentenceTensors& s) = 0;
};

/// Clark's two global ROOT scalars (a for [CLS], b for [SEP]), drawn from U(−√3, √3).
torch::Tensor root_scalars(torch::nn::Module& m) {
  return m.register_parameter("root_ab", torch::empty({2}).uniform_(-std::sqrt(3.0), std::sqrt(3.0)));
}

/// Released ROOT features per map and word: fwd[k, j] = a α^k[j,CLS] + b α^k[j,SEP],
/// bwd[k, j] = a α^k[CLS,j] + b α^k[SEP,j]; root = [K, n, 4], ab = [2].
std::pair<torch::Tensor, torch::Tensor> released_root_features(const torch::Tensor& root, const torch::Tensor& ab) {
  auto fwd = (root.narrow(2, 0, 2) * ab).sum(2);  // [K, n]
  auto bwd = (root.narrow(2, 2, 2) * ab).sum(2);
  return {fwd, bwd};
}

struct AttnProbe : ProbeImpl {
  RootFeatures mode;
  torch::Tensor w, u, r, ab;
  AttnProbe(int K, RootFeatures root_mode) : mode(root_mode) {
    w = register_parameter("w", torch::zeros({K}));
    u = register_parameter("u", torch::zeros({K}));
    if (mode == RootFeatures::Free) r = register_parameter("r", torch::zeros({K, 2}));
    else ab = root_scalars(*this);
  }
  torch::Tensor logits(const SentenceTensors& s) override {
    // words[j, i] = Σ_k w_k α^k[j, i] + u_k α^k[i, j]
    auto words = torch::einsum("k,kji->ji", {w, s.attention}) + torch::einsum("k,kij->ji", {u, s.attention});
    torch::Tensor root;
    if (mode == RootFeatures::Free) {
      root = torch::einsum("kc,kjc->j", {r, s.root.narrow(2, 0, 2)});
    } else {
      const auto [fwd, bwd] = released_root_features(s.root, ab);                   // [K, n] each
      root = torch::einsum("k,kj->j", {w, fwd}) + torch::einsum("k,kj->j", {u, bwd});
    }
    return torch::cat({root.unsqueeze(1), words}, 1) + s.self_mask;
  }
};

struct AttnWordsProbe : ProbeImpl {
  // Weights of the two directions (and, free mode, of ROOT) as linear functions of the word vectors.
  RootFeatures mode;
  torch::nn::Linear cand_fwd{nullptr}, dep_fwd{nullptr}, cand_bwd{nullptr}, dep_bwd{nullptr}, root_w{nullptr};
  torch::Tensor ab;
  AttnWordsProbe(int K, int dv, RootFeatures root_mode) : mode(root_mode) {
    cand_fwd = register_module("cand_fwd", torch::nn::Linear(dv, K));
    dep_fwd = register_module("dep_fwd", torch::nn::Linear(torch::nn::LinearOptions(dv, K).bias(false)));
    cand_bwd = register_module("cand_bwd", torch::nn::Linear(dv, K));
    dep_bwd = register_module("dep_bwd", torch::nn::Linear(torch::nn::LinearOptions(dv, K).bias(false)));
    if (mode == RootFeatures::Free) root_w = register_module("root_w", torch::nn::Linear(dv, 2 * K));
    else ab = root_scalars(*this);
  }
  torch::Tensor logits(const SentenceTensors& s) override {
    const int64_t K = s.attention.size(0), n = s.attention.size(1);
    // weight[j, i, k] = W (v_i ⊕ v_j) + b = cand(v_i) + dep(v_j)
    const auto dep_f = dep_fwd(s.vectors), dep_b = dep_bwd(s.vectors);             // [j, K]
    auto fwd = cand_fwd(s.vectors).unsqueeze(0) + dep_f.unsqueeze(1);              // [j, i, K]
    auto bwd = cand_bwd(s.vectors).unsqueeze(0) + dep_b.unsqueeze(1);
    auto words = (fwd * s.attention.permute({1, 2, 0})).sum(2) + (bwd * s.attention.permute({2, 1, 0})).sum(2);
    torch::Tensor root;
    if (mode == RootFeatures::Free) {
      auto rw = root_w(s.vectors).view({n, K, 2});                                  // [j, K, 2]
      root = (rw * s.root.narrow(2, 0, 2).permute({1, 0, 2})).sum({1, 2});          // [j]
    } else {
      // Weights for candidate ROOT with v_ROOT = 0: bias + W_dep v_j.
      const auto [f, b] = released_root_features(s.root, ab);                       // [K, n]
      root = ((cand_fwd->bias + dep_f) * f.t()).sum(1) + ((cand_bwd->bias + dep_b) * b.t()).sum(1);
    }
    return torch::cat({root.unsqueeze(1), words}, 1) + s.self_mask;
  }
};

struct DistancesWordsProbe : ProbeImpl {
  torch::nn::Linear dep{nullptr}, cand{nullptr}, dist{nullptr}, out{nullptr};
  explicit DistancesWordsProbe(int dv) {
    dep = register_module("dep", torch::nn::Linear(dv, 256));
    cand = register_module("cand", torch::nn::Linear(torch::nn::LinearOptions(dv, 256).bias(false)));
    dist = register_module("dist", torch::nn::Linear(torch::nn::LinearOptions(8, 256).bias(false)));
    out = register_module("out", torch::nn::Linear(256, 1));
  }
  static torch::Tensor distance_features(int64_t n) {
    // [j, c, 8] for candidates c = 0 (ROOT) .. n (word c − 1).
    auto f = torch::zeros({n, n + 1, 8});
    auto a = f.accessor<float, 3>();
    for (int64_t j = 0; j < n; ++j) {
      a[j][0][7] = 1;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t d = i - j;
        auto c = a[j][i + 1];
        c[0] = d > 0 ? static_cast<float>(d) / n : 0.f;
        c[1] = d < 0 ? static_cast<float>(-d) / n : 0.f;
        c[2] = d == 0, c[3] = d == 1, c[4] = d == -1, c[5] = d == 2, c[6] = d == -2;
      }
    }
    return f;
  }
  torch::Tensor logits(const SentenceTensors& s) override {
    const int64_t n = s.vectors.size(0);
    auto cand_vectors = torch::cat({torch::zeros({1, s.vectors.size(1)}), s.vectors}, 0);   // ROOT = 0 vector
    auto hidden = torch::tanh(dep(s.vectors).unsqueeze(1) + cand(cand_vectors).unsqueeze(0) + dist(distance_features(n)));
    return out(hidden).squeeze(2) + s.self_mask;
  }
};

std::shared_ptr<ProbeImpl> make_probe(ProbeKind kind, int K, int dv, RootFeatures root) {
  switch (kind) {
    case ProbeKind::Attn: return std::make_shared<AttnProbe>(K, root);
    case ProbeKind::AttnWords: return std::make_shared<AttnWordsProbe>(K, dv, root);
    case ProbeKind::DistancesWords: return std::make_shared<DistancesWordsProbe>(dv);
  }
  throw InternalError("unknown probe kind");
}

}  // namespace

int64_t probe_sentence_bytes(int64_t n, int64_t K, int64_t dv, bool attention) {
  const int64_t floats = (attention ? K * n * n + 4 * K * n : 0) + n * dv;
  return floats * 4 + n * static_cast<int64_t>(sizeof(int) + sizeof(uint8_t));
}

namespace {

/// What a ProbeSentence in memory holds.
int64_t held_bytes(const ProbeSentence& s) {
  return static_cast<int64_t>((s.attention.size() + s.root.size() + s.vectors.size()) * sizeof(float) +
                              s.gold.size() * sizeof(int) + s.scored.size());
}

/// Visits the sentences of `order` a window at a time, counting what was read.
template <typename Visit>
void visit_counted(ProbeSentenceSource& source, const std::vector<int64_t>& order, int64_t hold_bytes,
                   ProbeReadStats& stats, Visit visit) {
  stats.windows += visit_in_windows(source, order, hold_bytes, visit);
  stats.sentences_loaded += static_cast<int64_t>(order.size());
}

}  // namespace

Attachment train_and_evaluate_probe(ProbeKind kind, ProbeSentenceSource& train, ProbeSentenceSource& test, int K,
                                    int dv, const ProbeSettings& settings, int64_t hold_bytes, bool (*should_stop)(),
                                    ProbeReadStats* stats) {
  ProbeReadStats local;
  ProbeReadStats& read = stats ? *stats : local;
  torch::manual_seed(settings.seed);
  auto probe = make_probe(kind, K, dv, settings.root);
  torch::optim::Adam optimizer(probe->parameters(), torch::optim::AdamOptions(settings.lr));
  std::vector<int64_t> order = index_order(train.count());
  std::mt19937_64 shuffle_rng(settings.seed);
  for (int epoch = 0; epoch < settings.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    visit_counted(train, order, hold_bytes, read, [&](const ProbeSentence& sentence) {
      if (should_stop && should_stop()) throw StopRequested{};
      const SentenceTensors s = to_tensors(sentence, K, dv);
      optimizer.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(
          probe->logits(s), s.gold, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
      loss.backward();
      optimizer.step();
    });
  }
  torch::NoGradGuard no_grad;
  Attachment result;
  visit_counted(test, index_order(test.count()), hold_bytes, read, [&](const ProbeSentence& sentence) {
    const auto predicted = probe->logits(to_tensors(sentence, K, dv)).argmax(1);
    auto p = predicted.accessor<int64_t, 1>();
    for (int j = 0; j < sentence.n; ++j) {
      if (!sentence.scored[static_cast<size_t>(j)]) continue;
      result.count += 1;
      result.correct += p[j] == sentence.gold[static_cast<size_t>(j)];
    }
  });
  return result;
}

Attachment train_and_evaluate_probe(ProbeKind kind, const std::vector<ProbeSentence>& train,
                                    const std::vector<ProbeSentence>& test, int K, int dv,
                                    const ProbeSettings& settings, bool (*should_stop)()) {
  HeldSource<ProbeSentence> train_source(train, held_bytes), test_source(test, held_bytes);
  return train_and_evaluate_probe(kind, train_source, test_source, K, dv, settings,
                                  std::numeric_limits<int64_t>::max(), should_stop);
}

namespace {

void count_right_branching(const ProbeSentence& s, Attachment& result) {
  for (int j = 0; j < s.n; ++j) {
    if (!s.scored[static_cast<size_t>(j)]) continue;
    const int predicted = j + 1 < s.n ? j + 2 : 0;
    result.count += 1;
    result.correct += predicted == s.gold[static_cast<size_t>(j)];
  }
}

}  // namespace

Attachment right_branching(const std::vector<ProbeSentence>& test) {
  Attachment result;
  for (const auto& s : test) count_right_branching(s, result);
  return result;
}

Attachment right_branching(ProbeSentenceSource& test, int64_t hold_bytes) {
  Attachment result;
  visit_in_windows(test, index_order(test.count()), hold_bytes,
                   [&](const ProbeSentence& s) { count_right_branching(s, result); });
  return result;
}

std::vector<float> model_word_embeddings(const std::string& model_dir, int64_t* rows, int64_t* cols) {
  const StateDict weights = read_checkpoint_weights(model_dir);
  for (const char* name : {"embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight"}) {
    const auto it = weights.find(name);
    if (it == weights.end()) continue;
    auto t = raw_to_tensor(it->second).to(torch::kFloat32).contiguous();
    BTL_REQUIRE(t.dim() == 2, model_dir, ": ", name, " is not a matrix");
    *rows = t.size(0);
    *cols = t.size(1);
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  throw InputError(cat(model_dir, ": no embeddings.word_embeddings.weight in the checkpoint"));
}

}  // namespace bertology
