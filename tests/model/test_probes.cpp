// The probe trainers on synthetic features with known answers: a planted linear signal is
// recovered and shuffled labels stay at chance; a position task; a scalar mix finds the layer
// that carries the signal; the structural probe recovers a planted tree metric (UUAS 100%).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "pipeline/probe/probe_trainer.h"
#include "pipeline/probe/structural_probe.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/util/error.h"
#include "stages/attention_probe/attention_probes.h"

namespace bertology {
namespace {

/// rows examples of dim features; label = argmax of W x (a planted linear rule), W fixed by seed.
ProbeData planted(int64_t rows, int64_t dim, int64_t classes, uint64_t seed, bool shuffle_labels = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::mt19937_64 wrng(42);  // the same rule for every split
  std::vector<float> w(static_cast<size_t>(classes * dim));
  for (auto& v : w) v = std::normal_distribution<float>(0.f, 1.f)(wrng);
  ProbeData d;
  d.rows = rows;
  d.dim = dim;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t best = 0;
    double best_score = -1e30;
    std::vector<float> x(static_cast<size_t>(dim));
    for (auto& v : x) v = normal(rng);
    for (int64_t c = 0; c < classes; ++c) {
      double s = 0;
      for (int64_t k = 0; k < dim; ++k) s += w[static_cast<size_t>(c * dim + k)] * x[static_cast<size_t>(k)];
      if (s > best_score) best_score = s, best = c;
    }
    d.features.insert(d.features.end(), x.begin(), x.end());
    d.labels.push_back(best);
  }
  if (shuffle_labels) std::shuffle(d.labels.begin(), d.labels.end(), rng);
  return d;
}

TEST(ProbeTrainer, RecoversAPlantedLinearSignalAndStaysAtChanceOnShuffledLabels) {
  ProbeOptions o;
  o.num_classes = 4;
  o.max_epochs = 30;
  o.lr = 0.01;
  const ProbeResult r = train_probe(planted(4000, 16, 4, 1), planted(500, 16, 4, 2), planted(1000, 16, 4, 3), o);
  EXPECT_GT(r.test.accuracy(), 95.0);
  // Shuffled training labels carry no signal: test accuracy near chance (25%).
  const ProbeResult s = train_probe(planted(4000, 16, 4, 1, true), planted(500, 16, 4, 2, true), planted(1000, 16, 4, 3), o);
  EXPECT_LT(s.test.accuracy(), 35.0);
  EXPECT_GT(s.test.accuracy(), 15.0);
  // Deterministic for a seed; the MLP learns the rule too.
  EXPECT_EQ(train_probe(planted(4000, 16, 4, 1), planted(500, 16, 4, 2), planted(1000, 16, 4, 3), o).test.correct, r.test.correct);
  o.model = "mlp";
  o.hidden = 64;
  EXPECT_GT(train_probe(planted(4000, 16, 4, 1), planted(500, 16, 4, 2), planted(1000, 16, 4, 3), o).test.accuracy(), 90.0);
}

TEST(ProbeTrainer, PositionTaskPicksTheMarkedTokenOfEachSentence) {
  // Sentences of 6 tokens; the target token's feature 0 is +2, others' is N(0, 0.3).
  auto make = [](int64_t sentences, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> noise(0.f, 0.3f);
    ProbeData d;
    d.dim = 3;
    d.groups.push_back(0);
    for (int64_t s = 0; s < sentences; ++s) {
      const int64_t target = static_cast<int64_t>(rng() % 6);
      for (int64_t t = 0; t < 6; ++t) {
        d.features.push_back(t == target ? 2.f : noise(rng));
        d.features.push_back(noise(rng));
        d.features.push_back(noise(rng));
        d.labels.push_back(t == target ? 1 : 0);
      }
      d.rows += 6;
      d.groups.push_back(d.rows);
    }
    return d;
  };
  ProbeOptions o;
  o.model = "dropout_linear";
  o.position_task = true;
  o.lr = 0.01;
  const ProbeResult r = train_probe(make(300, 1), make(50, 2), make(200, 3), o);
  EXPECT_EQ(r.test.count, 200);
  EXPECT_GT(r.test.accuracy(), 98.0);
}

TEST(ProbeTrainer, ScalarMixPutsItsWeightOnTheInformativeLayer) {
  // Three layers per row: only layer 1 carries the planted rule, the others are noise.
  auto mix = [](int64_t rows, uint64_t seed) {
    const ProbeData signal = planted(rows, 8, 3, seed);
    std::mt19937_64 rng(seed + 100);
    std::normal_distribution<float> normal(0.f, 1.f);
    ProbeData d;
    d.rows = rows;
    d.dim = 8;
    d.layers = 3;
    d.labels = signal.labels;
    for (int64_t r = 0; r < rows; ++r)
      for (int m = 0; m < 3; ++m)
        for (int k = 0; k < 8; ++k) d.features.push_back(m == 1 ? signal.features[static_cast<size_t>(r * 8 + k)] : normal(rng));
    return d;
  };
  ProbeOptions o;
  o.num_classes = 3;
  o.mix_layers = 3;
  o.lr = 0.01;
  o.max_epochs = 30;
  const ProbeResult r = train_probe(mix(3000, 1), mix(500, 2), mix(500, 3), o);
  ASSERT_EQ(r.mix_weights.size(), 3u);
  EXPECT_GT(r.mix_weights[1], 0.6);
  EXPECT_GT(r.test.accuracy(), 85.0);
}

/// Random trees with their Pythagorean embedding: every edge gets its own orthogonal unit
/// direction and a word's vector is the sum over its path from the root, so that
/// ‖h_i − h_j‖² equals the tree distance exactly; a random rotation hides the axes.
std::vector<StructuralSentence> planted_trees(int count, int64_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  // A fixed random orthonormal-ish rotation: Gram–Schmidt of a Gaussian matrix (dim x dim).
  std::mt19937_64 rot_rng(7);
  std::vector<std::vector<double>> q;
  while (static_cast<int64_t>(q.size()) < dim) {
    std::vector<double> v(static_cast<size_t>(dim));
    for (auto& x : v) x = std::normal_distribution<double>(0, 1)(rot_rng);
    for (const auto& u : q) {
      double dot = 0;
      for (int64_t k = 0; k < dim; ++k) dot += v[static_cast<size_t>(k)] * u[static_cast<size_t>(k)];
      for (int64_t k = 0; k < dim; ++k) v[static_cast<size_t>(k)] -= dot * u[static_cast<size_t>(k)];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    for (auto& x : v) x /= std::sqrt(norm);
    q.push_back(v);
  }
  std::vector<StructuralSentence> out;
  for (int c = 0; c < count; ++c) {
    StructuralSentence s;
    s.n = 5 + static_cast<int>(rng() % 10);  // <= 14 words: edges fit in dim >= 14 directions
    s.heads.assign(static_cast<size_t>(s.n), 0);
    const int root = static_cast<int>(rng() % s.n);
    // Attach words in a random order to an already attached one.
    std::vector<int> attached = {root};
    std::vector<std::vector<double>> h(static_cast<size_t>(s.n), std::vector<double>(static_cast<size_t>(dim), 0.0));
    int edge = 0;
    for (int w = 0; w < s.n; ++w) {
      if (w == root) continue;
      const int parent = attached[rng() % attached.size()];
      s.heads[static_cast<size_t>(w)] = parent + 1;
      h[static_cast<size_t>(w)] = h[static_cast<size_t>(parent)];
      h[static_cast<size_t>(w)][static_cast<size_t>(edge++)] += 1.0;  // this edge's own direction
      attached.push_back(w);
    }
    for (int w = 0; w < s.n; ++w)
      for (int64_t k = 0; k < dim; ++k) {
        double v = 0;
        for (int64_t a = 0; a < dim; ++a) v += q[static_cast<size_t>(k)][static_cast<size_t>(a)] * h[static_cast<size_t>(w)][static_cast<size_t>(a)];
        s.vectors.push_back(static_cast<float>(v));
      }
    s.keep.assign(static_cast<size_t>(s.n), true);
    out.push_back(std::move(s));
  }
  return out;
}

TEST(StructuralProbe, RecoversAPlantedTreeMetric) {
  const int64_t dim = 16;
  StructuralOptions o;
  o.rank = 16;
  o.lr = 0.01;
  o.max_epochs = 60;
  o.patience = 10;
  const StructuralResult r =
      train_structural_probe(planted_trees(300, dim, 1), planted_trees(50, dim, 2), planted_trees(100, dim, 3), dim, o);
  EXPECT_DOUBLE_EQ(r.uuas, 100.0);
  EXPECT_GT(r.dspr, 0.95);
  o.kind = "depth";
  const StructuralResult d =
      train_structural_probe(planted_trees(300, dim, 1), planted_trees(50, dim, 2), planted_trees(100, dim, 3), dim, o);
  EXPECT_GT(d.root_accuracy, 95.0);
  EXPECT_GT(d.nspr, 0.9);
}

TEST(StructuralProbe, PlateauDecayFollowsReduceLROnPlateau) {
  // Hand-computed with torch's rule (mode min, factor 0.1, patience 0, threshold 1e-4 relative):
  // better = loss < best * 0.9999.
  PlateauDecay d{1e-3, 0.1};
  EXPECT_DOUBLE_EQ(d.step(1.0), 1e-3);      // first epoch: best = 1.0
  EXPECT_DOUBLE_EQ(d.step(0.9), 1e-3);      // 0.9 < 0.9999: better
  EXPECT_DOUBLE_EQ(d.step(0.95), 1e-4);     // worse: decay
  EXPECT_DOUBLE_EQ(d.step(0.89995), 1e-5);  // 0.89995 >= 0.9 * 0.9999 = 0.89991: not better enough
  EXPECT_DOUBLE_EQ(d.step(0.5), 1e-5);      // better: kept
  EXPECT_DOUBLE_EQ(d.best, 0.5);
  for (int k = 0; k < 10; ++k) d.step(1.0);  // 1e-6, 1e-7, 1e-8, then a change below eps = 1e-8 is skipped
  EXPECT_NEAR(d.lr, 1e-8, 1e-20);
  PlateauDecay constant{1e-3, 1.0};
  constant.step(1.0);
  EXPECT_DOUBLE_EQ(constant.step(2.0), 1e-3);
}

/// Star trees whose root is visible only to the transposed ROOT features of Clark's code:
/// [CLS] attends to the root word (α[CLS→r] = 1), no word attends to [CLS]/[SEP]. In the one map,
/// every dependent attends to the root r and r attends to one dependent d. Free per-map ROOT
/// weights on α[j→CLS/SEP] see nothing, and the word scores alone cannot get both r and d right
/// (d needs w + u > 0, r needs w + u < 0 against a zero ROOT score); the released features can
/// (s(ROOT|r) = u·a·α[CLS→r]).
std::vector<ProbeSentence> root_only_from_cls(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<ProbeSentence> out;
  for (int k = 0; k < count; ++k) {
    ProbeSentence s;
    s.n = 4 + static_cast<int>(rng() % 5);
    const int n = s.n, r = static_cast<int>(rng() % static_cast<uint32_t>(n));
    const int d = (r + 1 + static_cast<int>(rng() % static_cast<uint32_t>(n - 1))) % n;
    s.gold.assign(static_cast<size_t>(n), r + 1);
    s.gold[static_cast<size_t>(r)] = 0;
    s.scored.assign(static_cast<size_t>(n), 1);
    s.attention.assign(static_cast<size_t>(n * n), 0.f);
    for (int j = 0; j < n; ++j) s.attention[static_cast<size_t>(j * n + (j == r ? d : r))] = 1.f;
    s.root.assign(static_cast<size_t>(n * 4), 0.f);
    s.root[static_cast<size_t>(r * 4 + 2)] = 1.f;  // [CLS] -> r
    s.vectors.assign(static_cast<size_t>(n), 0.f);
    out.push_back(std::move(s));
  }
  return out;
}

TEST(AttentionProbe, ReleasedRootFeaturesReadBothDirections) {
  const auto train = root_only_from_cls(300, 1), test = root_only_from_cls(100, 2);
  ProbeSettings settings;
  settings.epochs = 3;
  settings.lr = 0.05;
  settings.root = RootFeatures::Released;
  const Attachment released = train_and_evaluate_probe(ProbeKind::Attn, train, test, 1, 1, settings, nullptr);
  settings.root = RootFeatures::Free;
  const Attachment free = train_and_evaluate_probe(ProbeKind::Attn, train, test, 1, 1, settings, nullptr);
  EXPECT_GT(released.uas(), 99.0);
  EXPECT_LT(free.uas(), 100.0 * (1.0 - 1.0 / 8.0) + 1e-9);  // at least one word per sentence wrong
  EXPECT_EQ(parse_root_features("released"), RootFeatures::Released);
  EXPECT_THROW(parse_root_features("both"), InputError);
}

TEST(Punctuation, EachPaperItsOwnRule) {
  WordAnnotation a;
  // Clark: the relation.
  a.deprel = "punct";
  EXPECT_TRUE(is_clark_punctuation(a));
  a.deprel = "nmod";
  a.upos = "PUNCT";
  EXPECT_FALSE(is_clark_punctuation(a));
  // Hewitt: his seven XPOS tags; $, #, HYPH, NFP are words.
  for (const char* tag : {"''", ",", ".", ":", "``", "-LRB-", "-RRB-"}) {
    a.xpos = tag;
    EXPECT_TRUE(is_hewitt_punctuation(a)) << tag;
  }
  for (const char* tag : {"$", "#", "HYPH", "NFP", "NN"}) {
    a.xpos = tag;
    a.upos = "PUNCT";
    EXPECT_FALSE(is_hewitt_punctuation(a)) << tag;
  }
  // No XPOS: UPOS decides.
  a.xpos = "_";
  EXPECT_TRUE(is_hewitt_punctuation(a));
  a.upos = "NOUN";
  EXPECT_FALSE(is_hewitt_punctuation(a));
}

}  // namespace
}  // namespace bertology
