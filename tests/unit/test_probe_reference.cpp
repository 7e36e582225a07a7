// Lin et al. (2019)'s confusion score and Hewitt & Manning (2019)'s structural-probe reporter:
// the product's pure functions against fixtures computed by transcriptions of the authors' code
// (scripts/reference/lin_confusion.py, hewitt_reporter.py; inputs and outputs in
// tests/fixtures/reference/{lin_confusion,hewitt_reporter}.json, written by
// scripts/reference/make_probe_fixtures.py; see tests/fixtures/reference/README.md).
// Counts must agree exactly, floats within 1e-6. Each place where the product deliberately
// differs from the authors' code is mapped here and says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/analysis/word_attention.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/probe/tree_metrics.h"
#include "stages/confusion_score/confusion.h"
#include "tests/support/files.h"

namespace bertology {
namespace {

using nlohmann::json;
constexpr double kTol = 1e-6;

json load_fixture(const char* name) {
  const std::string text = test::slurp(std::filesystem::path(BERTOLOGY_FIXTURES_DIR) / "reference" / name);
  if (text.empty()) ADD_FAILURE() << "missing fixture tests/fixtures/reference/" << name;
  return json::parse(text);
}

// JSON null is the fixture's NaN.
double num(const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); }

// A float32 input as the product sees it: the stage reads float, converts to double.
double as_float(const json& v) { return static_cast<double>(static_cast<float>(v.get<double>())); }

void expect_near_or_both_nan(double expected, double got, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": expected NaN, got " << got;
  } else {
    EXPECT_NEAR(got, expected, kTol) << what;
  }
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

// ==============================================================================================
// Lin et al. 2019: bertviz/attention_cross_entropy.ipynb of yongjie-lin/bert-opensesame.
//
// The notebook works on wordpiece attention [layer][batch][head][T][T] over [CLS] words [SEP],
// indexes it with word index + 1 (one piece per word, true of the Open Sesame vocabulary), and
// takes each TAB field after the source as one target group. The stage (confusion_score_stage.cpp)
// converts to word level (row = mean of the source's pieces, column = sum over a word's pieces),
// drops [CLS]/[SEP], and splits the index fields into runs of consecutive words. With one piece
// per word both give the same scores; the only visible difference is the number of candidate
// groups when a field holds two runs (refl.5-8: "5 6 9 10"), which moves the stage's uniform
// reference log2(#groups) but not the score (the score normalises over the union of the groups).

struct LinSentence {
  std::string origin, line;
  int T = 0, n = 0, source_idx = 0;
  std::vector<std::vector<int>> groups_idx;  // Lin's, wordpiece positions
  std::vector<std::vector<float>> attention;  // per layer, [H, T, T]
  std::vector<double> bce;                    // Lin's CS per layer
};

struct LinFixture {
  int layers = 0, heads = 0;
  std::vector<LinSentence> sentences;
  std::vector<double> corpus_avg_bce;
  double corpus_avg_summed_bce = 0;
};

LinFixture load_lin() {
  const json j = load_fixture("lin_confusion.json");
  LinFixture f;
  f.layers = j.at("layers").get<int>();
  f.heads = j.at("heads").get<int>();
  for (const json& s : j.at("sentences")) {
    LinSentence x;
    x.origin = s.at("origin").get<std::string>();
    x.line = s.at("line").get<std::string>();
    x.n = static_cast<int>(s.at("words").size());
    x.T = x.n + 2;
    x.source_idx = s.at("source_idx").get<int>();
    x.groups_idx = s.at("target_groups_idx").get<std::vector<std::vector<int>>>();
    for (const json& layer : s.at("attention")) {
      std::vector<float> a;
      for (const json& head : layer)
        for (const json& row : head)
          for (const json& v : row) a.push_back(static_cast<float>(v.get<double>()));
      EXPECT_EQ(a.size(), static_cast<size_t>(f.heads) * x.T * x.T) << x.origin;
      x.attention.push_back(std::move(a));
    }
    for (const json& v : s.at("bce")) x.bce.push_back(num(v));
    f.sentences.push_back(std::move(x));
  }
  for (const json& v : j.at("corpus_avg_bce")) f.corpus_avg_bce.push_back(num(v));
  f.corpus_avg_summed_bce = num(j.at("corpus_avg_summed_bce"));
  return f;
}

// Mean over heads of [H, m, m] (the notebook's np.mean(layer_attn, axis=0); the stage's loop).
std::vector<float> head_mean(const std::vector<float>& a, int heads, int m) {
  std::vector<float> mean(static_cast<size_t>(m) * m, 0.f);
  for (int h = 0; h < heads; ++h)
    for (int k = 0; k < m * m; ++k) mean[static_cast<size_t>(k)] += a[static_cast<size_t>(h) * m * m + k] / heads;
  return mean;
}

TEST(ProbeReferenceLin, FixtureIsWhatTheTestExpects) {
  const LinFixture f = load_lin();
  ASSERT_EQ(f.sentences.size(), 7u);
  ASSERT_EQ(f.corpus_avg_bce.size(), static_cast<size_t>(f.layers));
  for (const auto& s : f.sentences) {
    ASSERT_EQ(s.attention.size(), static_cast<size_t>(f.layers)) << s.origin;
    ASSERT_EQ(s.bce.size(), static_cast<size_t>(f.layers)) << s.origin;
    // The notebook's own parse of the line: source + 1, each TAB field one group, + 1 each.
    const std::vector<std::string> fields = split_tabs(s.line);
    ASSERT_EQ(fields.size(), 4u) << s.origin;
    EXPECT_EQ(s.source_idx, std::stoi(fields[1]) + 1) << s.origin;
    EXPECT_EQ(s.groups_idx.size(), fields.size() - 2) << s.origin;
  }
}

// confusion_score() on the notebook's own matrix: the head-averaged wordpiece attention, with
// the notebook's wordpiece positions and groups.
TEST(ProbeReferenceLin, ConfusionScoreOnTheNotebooksWordpieceMatrix) {
  const LinFixture f = load_lin();
  for (const auto& s : f.sentences)
    for (int l = 0; l < f.layers; ++l) {
      const std::vector<float> mean = head_mean(s.attention[static_cast<size_t>(l)], f.heads, s.T);
      expect_near_or_both_nan(s.bce[static_cast<size_t>(l)], confusion_score(mean.data(), s.T, s.source_idx, s.groups_idx),
                              s.origin + " layer " + std::to_string(l + 1));
    }
}

// The stage's path (confusion_score_stage.cpp): the line's fields through index_groups, the
// wordpiece attention through CacheReader::to_word_level (WordFrom::Mean) and
// words_only_attention, the head mean, confusion_score; then the per-layer means over sentences.
TEST(ProbeReferenceLin, StagePathGivesTheNotebooksScoresAndCorpusMeans) {
  const LinFixture f = load_lin();
  std::vector<double> sum(static_cast<size_t>(f.layers), 0.0), count(static_cast<size_t>(f.layers), 0.0);
  for (const auto& s : f.sentences) {
    const std::vector<std::string> fields = split_tabs(s.line);
    ASSERT_EQ(fields.size(), 4u);
    const int source = std::stoi(fields[1]);
    auto groups = index_groups(fields[2], s.origin);
    ASSERT_EQ(groups.size(), 1u) << s.origin;
    for (auto& g : index_groups(fields[3], s.origin)) groups.push_back(std::move(g));
    // Groups: the same words as the notebook's (minus the [CLS] offset), possibly cut into more
    // runs. refl.5 and refl.8 have "x x+1 9 10" in one field: 2 groups for Lin, 3 here.
    std::vector<int> ours, lins;
    for (const auto& g : groups) ours.insert(ours.end(), g.begin(), g.end());
    for (const auto& g : s.groups_idx)
      for (int w : g) lins.push_back(w - 1);
    EXPECT_EQ(ours, lins) << s.origin;
    EXPECT_EQ(groups[0].size(), s.groups_idx[0].size()) << s.origin;  // the subject: one phrase in both
    const bool split_field = s.origin == "refl.5" || s.origin == "refl.8";
    EXPECT_EQ(groups.size(), s.groups_idx.size() + (split_field ? 1 : 0)) << s.origin;

    std::vector<int32_t> word_ids(static_cast<size_t>(s.T), -1);  // [CLS] w0 .. w(n-1) [SEP]
    for (int w = 0; w < s.n; ++w) word_ids[static_cast<size_t>(w) + 1] = w;
    for (int l = 0; l < f.layers; ++l) {
      std::vector<int32_t> unit_word_ids;
      const std::vector<float> units = CacheReader::to_word_level(s.attention[static_cast<size_t>(l)], f.heads, s.T,
                                                                  word_ids.data(), s.n, WordFrom::Mean, &unit_word_ids);
      std::vector<float> words;
      ASSERT_TRUE(words_only_attention(units, f.heads, unit_word_ids, s.n, words)) << s.origin;
      const std::vector<float> mean = head_mean(words, f.heads, s.n);
      const double cs = confusion_score(mean.data(), s.n, source, groups);
      expect_near_or_both_nan(s.bce[static_cast<size_t>(l)], cs, s.origin + " layer " + std::to_string(l + 1));
      if (std::isnan(cs)) continue;
      sum[static_cast<size_t>(l)] += cs;
      count[static_cast<size_t>(l)] += 1;
    }
  }
  // corpus_avg_bce = np.mean(bces, axis=0): the stage's per_layer.csv mean_cs.
  double mean_over_layers = 0;
  for (int l = 0; l < f.layers; ++l) {
    ASSERT_EQ(count[static_cast<size_t>(l)], static_cast<double>(f.sentences.size()));
    const double m = sum[static_cast<size_t>(l)] / count[static_cast<size_t>(l)];
    EXPECT_NEAR(m, f.corpus_avg_bce[static_cast<size_t>(l)], kTol) << "layer " << l + 1;
    mean_over_layers += m / f.layers;
  }
  // The notebook ends with corpus_avg_summed_bce = np.sum(corpus_avg_bce), a SUM over layers;
  // the stage's summary.csv mean_cs is the MEAN over layers (the paper's Table 2 scale, ~1 bit).
  EXPECT_NEAR(mean_over_layers * f.layers, f.corpus_avg_summed_bce, kTol);
}

// ==============================================================================================
// Hewitt & Manning 2019: structural-probes/reporter.py (and task.py for the gold labels) of
// john-hewitt/structural-probes. The calls below are those of the evaluation loop of
// train_structural_probe (pipeline/probe/structural_probe.cpp), with `keep` given explicitly as
// Hewitt's rule: xpos not in his seven tags.

const std::vector<std::string> kHewittPunctuation = {"''", ",", ".", ":", "``", "-LRB-", "-RRB-"};

struct HewittSentence {
  std::string kind;
  int n = 0;
  std::vector<int> heads;
  std::vector<std::string> xpos;
  std::vector<bool> keep;  // the fixture's, from Hewitt's rule
  std::vector<double> pred_distances, pred_depths;
  std::vector<int> gold_distances, gold_depths;
  std::vector<std::pair<int, int>> gold_edges, pred_edges;  // in the order he adds them
  int64_t uuas_correct = 0, uuas_total = 0;
  std::vector<double> dspr_rhos;
  double nspr_rho = 0;
  int nopunct_argmin = -1;
};

std::vector<std::pair<int, int>> edges_of(const json& j) {
  std::vector<std::pair<int, int>> edges;
  for (const json& e : j) edges.emplace_back(e.at(0).get<int>(), e.at(1).get<int>());
  return edges;
}

std::vector<double> floats_of(const json& j) {  // a vector or a row-major flattened matrix
  std::vector<double> out;
  if (j.is_array() && !j.empty() && j.at(0).is_array()) {
    for (const json& row : j)
      for (const json& v : row) out.push_back(as_float(v));
  } else {
    for (const json& v : j) out.push_back(as_float(v));
  }
  return out;
}

HewittSentence parse_hewitt_sentence(const json& s) {
  HewittSentence x;
  x.kind = s.at("kind").get<std::string>();
  x.heads = s.at("heads").get<std::vector<int>>();
  x.n = static_cast<int>(x.heads.size());
  x.xpos = s.at("xpos").get<std::vector<std::string>>();
  for (const json& k : s.at("keep")) x.keep.push_back(k.get<bool>());
  x.pred_distances = floats_of(s.at("pred_distances"));
  x.pred_depths = floats_of(s.at("pred_depths"));
  for (const json& row : s.at("gold_distances"))
    for (const json& v : row) x.gold_distances.push_back(v.get<int>());
  x.gold_depths = s.at("gold_depths").get<std::vector<int>>();
  x.gold_edges = edges_of(s.at("gold_edges"));
  x.pred_edges = edges_of(s.at("pred_edges"));
  x.uuas_correct = s.at("uuas_correct").get<int64_t>();
  x.uuas_total = s.at("uuas_total").get<int64_t>();
  for (const json& v : s.at("dspr_rhos")) x.dspr_rhos.push_back(num(v));
  x.nspr_rho = num(s.at("nspr_rho"));
  x.nopunct_argmin = s.at("nopunct_argmin").get<int>();
  return x;
}

struct HewittFixture {
  json raw;
  std::vector<HewittSentence> sentences;
};

HewittFixture load_hewitt() {
  HewittFixture f;
  f.raw = load_fixture("hewitt_reporter.json");
  for (const json& s : f.raw.at("sentences")) f.sentences.push_back(parse_hewitt_sentence(s));
  return f;
}

std::string where(const HewittSentence& s, size_t index) {
  return "sentence " + std::to_string(index) + " (" + s.kind + ", n = " + std::to_string(s.n) + ")";
}

// Per-length means and the 5-50 mean of `acc` against the fixture's {per_length, mean_5_50}.
void expect_length_averages(const LengthAveragedSpearman& acc, const json& expected, const std::string& what) {
  const std::map<int, double> ours = acc.per_length_means();
  const json& per_length = expected.at("per_length");
  EXPECT_EQ(ours.size(), per_length.size()) << what;
  for (const auto& [length, entry] : per_length.items()) {
    const int n = std::stoi(length);
    ASSERT_TRUE(ours.count(n)) << what << ": no mean for length " << n;
    expect_near_or_both_nan(num(entry.at("mean")), ours.at(n), what + " length " + length);
  }
  expect_near_or_both_nan(num(expected.at("mean_5_50")), acc.mean(5, 50), what + " mean over lengths 5-50");
}

TEST(ProbeReferenceHewitt, FixtureUsesHisSevenPunctuationTags) {
  const HewittFixture f = load_hewitt();
  EXPECT_EQ(f.raw.at("punctuation_tags").get<std::vector<std::string>>(), kHewittPunctuation);
  ASSERT_EQ(f.sentences.size(), 12u);
  std::set<std::string> kept_symbols;
  for (size_t i = 0; i < f.sentences.size(); ++i) {
    const auto& s = f.sentences[i];
    ASSERT_EQ(s.xpos.size(), static_cast<size_t>(s.n)) << where(s, i);
    ASSERT_EQ(s.keep.size(), static_cast<size_t>(s.n)) << where(s, i);
    for (int w = 0; w < s.n; ++w) {
      const bool punct = std::count(kHewittPunctuation.begin(), kHewittPunctuation.end(), s.xpos[w]) > 0;
      EXPECT_EQ(s.keep[w], !punct) << where(s, i) << " word " << w + 1 << " " << s.xpos[w];
      if (!punct && !std::isalpha(static_cast<unsigned char>(s.xpos[w][0]))) kept_symbols.insert(s.xpos[w]);
    }
  }
  // Symbols Hewitt's reporter keeps as words are in the fixture: a broader rule would fail below.
  EXPECT_TRUE(kept_symbols.count("$") && kept_symbols.count("#")) << "fixture lacks $ and #";
}

TEST(ProbeReferenceHewitt, GoldDistancesAndDepthsAsTaskPy) {
  const HewittFixture f = load_hewitt();
  for (size_t i = 0; i < f.sentences.size(); ++i) {
    const auto& s = f.sentences[i];
    EXPECT_EQ(tree_distances(s.heads), s.gold_distances) << where(s, i);
    EXPECT_EQ(tree_depths(s.heads), s.gold_depths) << where(s, i);
  }
}

// minimum_spanning_tree on the kept words' sub-matrix, edges mapped back to sentence indices,
// against prims_matrix_to_edges: same edges in the same order (both are Kruskal with ties in
// (i, j) order), for the gold distances (punctuation inside the tree makes weight-2 ties) and the
// predictions (quantised: many ties, one off-diagonal 0).
std::vector<std::pair<int, int>> kept_mst(const std::vector<double>& dist, int n, const std::vector<bool>& keep) {
  std::vector<int> kept;
  for (int i = 0; i < n; ++i)
    if (keep[static_cast<size_t>(i)]) kept.push_back(i);
  const int k = static_cast<int>(kept.size());
  std::vector<double> sub(static_cast<size_t>(k) * k);
  for (int a = 0; a < k; ++a)
    for (int b = 0; b < k; ++b)
      sub[static_cast<size_t>(a) * k + b] = dist[static_cast<size_t>(kept[a]) * n + kept[b]];
  std::vector<std::pair<int, int>> edges;
  for (const auto& [a, b] : minimum_spanning_tree(sub, k)) edges.emplace_back(kept[a], kept[b]);
  return edges;
}

std::vector<std::pair<int, int>> sorted_pairs(std::vector<std::pair<int, int>> edges) {
  for (auto& [a, b] : edges)
    if (a > b) std::swap(a, b);
  return edges;
}

TEST(ProbeReferenceHewitt, SpanningTreesAsPrimsMatrixToEdges) {
  const HewittFixture f = load_hewitt();
  for (size_t i = 0; i < f.sentences.size(); ++i) {
    const auto& s = f.sentences[i];
    const std::vector<double> gold(s.gold_distances.begin(), s.gold_distances.end());
    EXPECT_EQ(kept_mst(gold, s.n, s.keep), sorted_pairs(s.gold_edges)) << where(s, i) << ": gold tree";
    EXPECT_EQ(kept_mst(s.pred_distances, s.n, s.keep), sorted_pairs(s.pred_edges)) << where(s, i) << ": predicted tree";
  }
}

TEST(ProbeReferenceHewitt, UuasCountsAsReportUuas) {
  const HewittFixture f = load_hewitt();
  UuasCount total;
  for (size_t i = 0; i < f.sentences.size(); ++i) {
    const auto& s = f.sentences[i];
    const UuasCount u = uuas(s.pred_distances, s.heads, s.keep);
    EXPECT_EQ(u.correct, s.uuas_correct) << where(s, i);
    EXPECT_EQ(u.total, s.uuas_total) << where(s, i);
    total.correct += u.correct;
    total.total += u.total;
  }
  const json& expected = f.raw.at("uuas");
  EXPECT_EQ(total.correct, expected.at("correct").get<int64_t>());
  EXPECT_EQ(total.total, expected.at("total").get<int64_t>());
  // Hewitt writes the fraction; the stage reports 100 * correct / total.
  EXPECT_NEAR(static_cast<double>(total.correct) / total.total, expected.at("uuas").get<double>(), kTol);
}

TEST(ProbeReferenceHewitt, DistanceSpearmanAsWordPairReporter) {
  const HewittFixture f = load_hewitt();
  LengthAveragedSpearman acc;
  std::map<int, std::vector<double>> lists;  // the reporter's lengths_to_spearmanrs
  for (size_t i = 0; i < f.sentences.size(); ++i) {
    const auto& s = f.sentences[i];
    // As the stage: every word, its whole row (include_self), punctuation included.
    const std::vector<double> rhos =
        distance_spearman_of_sentence(s.pred_distances, s.heads, std::vector<bool>(static_cast<size_t>(s.n), true));
    ASSERT_EQ(rhos.size(), s.dspr_rhos.size()) << where(s, i);
    for (size_t w = 0; w < rhos.size(); ++w) {
      expect_near_or_both_nan(s.dspr_rhos[w], rhos[w], where(s, i) + " word " + std::to_string(w + 1));
      acc.add(s.n, rhos[w]);
      lists[s.n].push_back(rhos[w]);
    }
  }
  const json& expected = f.raw.at("dspr");
  for (const auto& [length, entry] : expected.at("per_length").items()) {
    const auto& want = entry.at("rhos");
    const auto& got = lists[std::stoi(length)];
    ASSERT_EQ(got.size(), want.size()) << "length " << length;
    for (size_t k = 0; k < got.size(); ++k) expect_near_or_both_nan(num(want[k]), got[k], "DSpr list of length " + length);
  }
  expect_length_averages(acc, expected, "DSpr");
}

TEST(ProbeReferenceHewitt, DepthSpearmanAndRootAccuracyAsWordReporter) {
  const HewittFixture f = load_hewitt();
  LengthAveragedSpearman acc;
  int64_t roots_correct = 0, roots = 0;
  for (size_t i = 0; i < f.sentences.size(); ++i) {
    const auto& s = f.sentences[i];
    const std::vector<int> depths = tree_depths(s.heads);
    const double rho = spearman(s.pred_depths, std::vector<double>(depths.begin(), depths.end()));
    expect_near_or_both_nan(s.nspr_rho, rho, where(s, i) + " NSpr");
    acc.add(s.n, rho);
    // get_nopunct_argmin: least deep non-punctuation word, first on ties, plain argmin when all
    // words are punctuation (the all_punct sentence).
    const int least = least_deep(s.pred_depths, s.keep);
    EXPECT_EQ(least, s.nopunct_argmin) << where(s, i);
    const int gold_root = static_cast<int>(std::find(s.heads.begin(), s.heads.end(), 0) - s.heads.begin());
    roots_correct += least == gold_root;
    roots += 1;
  }
  expect_length_averages(acc, f.raw.at("nspr"), "NSpr");
  const json& expected = f.raw.at("root_acc");
  EXPECT_EQ(roots_correct, expected.at("correct").get<int64_t>());
  EXPECT_EQ(roots, expected.at("total").get<int64_t>());
  // Hewitt writes the fraction; the stage reports a percentage.
  EXPECT_NEAR(static_cast<double>(roots_correct) / roots, expected.at("root_acc").get<double>(), kTol);
}

// Documented deviation (tree_metrics.h, LengthAveragedSpearman): a NaN correlation (constant
// predicted depths) makes Hewitt's per-length np.mean, and so the 5-50 mean, NaN; the product
// skips it, so the mean is over the lengths that still have data.
TEST(ProbeReferenceHewitt, NanCorrelationIsSkippedWhereHewittPropagatesIt) {
  const HewittFixture f = load_hewitt();
  const json& dev = f.raw.at("nan_deviation");
  const json& expected = dev.at("nspr");
  ASSERT_TRUE(expected.at("mean_5_50").is_null()) << "Hewitt's mean should be NaN";
  LengthAveragedSpearman acc;
  double finite_sum = 0;
  int finite_lengths = 0;
  for (const json& s : dev.at("sentences")) {
    const std::vector<int> heads = s.at("heads").get<std::vector<int>>();
    const std::vector<int> depths = tree_depths(heads);
    const double rho = spearman(floats_of(s.at("pred_depths")), std::vector<double>(depths.begin(), depths.end()));
    const json& want = expected.at("per_length").at(std::to_string(heads.size()));
    expect_near_or_both_nan(num(want.at("rhos").at(0)), rho, "length " + std::to_string(heads.size()));
    acc.add(static_cast<int>(heads.size()), rho);
    if (!want.at("mean").is_null()) {
      finite_sum += want.at("mean").get<double>();
      finite_lengths += 1;
    }
  }
  ASSERT_EQ(finite_lengths, 1);
  EXPECT_EQ(acc.per_length_means().size(), 1u);  // the NaN-only length has no data
  EXPECT_NEAR(acc.mean(5, 50), finite_sum / finite_lengths, kTol);
}

}  // namespace
}  // namespace bertology
