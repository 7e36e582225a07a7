#include "pipeline/probe/tree_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <string>

#include "pipeline/util/error.h"

namespace bertology {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t square(size_t n) { return n * n; }

void require_square(const std::vector<double>& m, size_t n, const char* what) {
  BTL_REQUIRE(m.size() == square(n), what, ": ", m.size(), " entries for ", n, " words (expected ", square(n), ")");
}

void require_keep_size(const std::vector<bool>& keep, size_t n) {
  BTL_REQUIRE(keep.size() == n, "keep mask: ", keep.size(), " entries for ", n, " words");
}

// Words listed by CoNLL ID (index + 1), the numbering a user finds in the corpus.
std::string word_ids(const std::vector<int>& indices) {
  std::string s;
  for (size_t k = 0; k < indices.size(); ++k) s += cat(k ? ", " : "", indices[k] + 1);
  return s;
}

// Checks that heads are in range and that exactly one word is attached to the root.
void check_heads_and_root(const std::vector<int>& heads) {
  const int n = static_cast<int>(heads.size());
  std::vector<int> roots;
  for (int i = 0; i < n; ++i) {
    BTL_REQUIRE(heads[i] >= 0 && heads[i] <= n, "dependency heads: word ", i + 1, " has head ", heads[i],
                ", outside 0..", n);
    if (heads[i] == 0) roots.push_back(i);
  }
  BTL_REQUIRE(!roots.empty(), "dependency heads: no word has head 0 (no root) among ", n, " words");
  BTL_REQUIRE(roots.size() == 1, "dependency heads: ", roots.size(), " roots (words ", word_ids(roots),
              " have head 0); a tree has exactly one");
}

// Depths of a validated head list. With heads in range and one root, the only way not to be a
// tree is a cycle: walking up from any word must reach the root without revisiting a word.
std::vector<int> checked_depths(const std::vector<int>& heads) {
  check_heads_and_root(heads);
  const int n = static_cast<int>(heads.size());
  std::vector<int> depth(n, -1);
  std::vector<bool> on_path(n, false);
  std::vector<int> path;
  for (int start = 0; start < n; ++start) {
    path.clear();
    int cur = start;
    // Climb until a word of known depth (or the root) is found; `path` holds the unknown ones.
    while (depth[cur] < 0) {
      if (heads[cur] == 0) {
        depth[cur] = 0;
        break;
      }
      path.push_back(cur);
      on_path[cur] = true;
      const int parent = heads[cur] - 1;
      if (on_path[parent]) {
        const auto first = std::find(path.begin(), path.end(), parent);
        std::vector<int> cycle(first, path.end());
        cycle.push_back(parent);
        BTL_REQUIRE(false, "dependency heads: cycle through words ", word_ids(cycle), " (not attached to the root)");
      }
      cur = parent;
    }
    // Unwind: each word on the path is one deeper than its head.
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      depth[*it] = depth[heads[*it] - 1] + 1;
      on_path[*it] = false;
    }
  }
  return depth;
}

// Union-find with path halving, for Kruskal.
struct DisjointSets {
  std::vector<int> parent;
  explicit DisjointSets(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  bool unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    parent[a] = b;
    return true;
  }
};

std::vector<int> kept_indices(const std::vector<bool>& keep) {
  std::vector<int> kept;
  for (int i = 0; i < static_cast<int>(keep.size()); ++i)
    if (keep[i]) kept.push_back(i);
  return kept;
}

// The rows and columns `kept` of an n x n matrix, as a |kept| x |kept| matrix. Keeping the
// indices increasing preserves the (i, j) tie order of minimum_spanning_tree.
template <typename T>
std::vector<double> restrict_matrix(const std::vector<T>& m, size_t n, const std::vector<int>& kept) {
  const size_t k = kept.size();
  std::vector<double> out(square(k));
  for (size_t a = 0; a < k; ++a)
    for (size_t b = 0; b < k; ++b) out[a * k + b] = static_cast<double>(m[kept[a] * n + kept[b]]);
  return out;
}

// Average 1-based ranks, ties sharing the mean of the ranks they span (scipy's rankdata
// "average"). Values must not be NaN (their order is undefined).
std::vector<double> average_ranks(const std::vector<double>& v) {
  const size_t n = v.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
  std::vector<double> rank(n);
  for (size_t lo = 0; lo < n;) {
    size_t hi = lo + 1;
    while (hi < n && v[order[hi]] == v[order[lo]]) ++hi;
    const double mean_rank = 0.5 * static_cast<double>(lo + 1 + hi);  // mean of lo+1 .. hi
    for (size_t k = lo; k < hi; ++k) rank[order[k]] = mean_rank;
    lo = hi;
  }
  return rank;
}

}  // namespace

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}


std::vector<int> tree_depths(const std::vector<int>& heads) { return checked_depths(heads); }

std::vector<int> tree_distances(const std::vector<int>& heads) {
  checked_depths(heads);  // validation only: BFS below assumes a tree
  const int n = static_cast<int>(heads.size());
  std::vector<std::vector<int>> neighbours(n);
  for (int i = 0; i < n; ++i) {
    if (heads[i] == 0) continue;
    neighbours[i].push_back(heads[i] - 1);
    neighbours[heads[i] - 1].push_back(i);
  }
  // One BFS per word: O(n²) in all, the size of the output.
  std::vector<int> dist(square(n), -1);
  std::vector<int> queue;
  for (int s = 0; s < n; ++s) {
    int* row = &dist[static_cast<size_t>(s) * n];
    row[s] = 0;
    queue.assign(1, s);
    for (size_t q = 0; q < queue.size(); ++q) {
      const int u = queue[q];
      for (int v : neighbours[u]) {
        if (row[v] >= 0) continue;
        row[v] = row[u] + 1;
        queue.push_back(v);
      }
    }
  }
  return dist;
}

std::vector<std::pair<int, int>> minimum_spanning_tree(const std::vector<double>& dist, int n) {
  BTL_REQUIRE(n >= 0, "minimum spanning tree: negative node count ", n);
  require_square(dist, n, "distance matrix");
  struct Edge {
    double w;
    int i, j;
  };
  std::vector<Edge> edges;
  edges.reserve(square(n) / 2);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double w = std::min(dist[static_cast<size_t>(i) * n + j], dist[static_cast<size_t>(j) * n + i]);
      BTL_REQUIRE(std::isfinite(w), "distance matrix: non-finite distance ", w, " between words ", i + 1, " and ",
                  j + 1);
      edges.push_back({w, i, j});
    }
  // (weight, i, j) order: the order Hewitt's stable sort of the row-major matrix gives.
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
    if (a.w != b.w) return a.w < b.w;
    return a.i != b.i ? a.i < b.i : a.j < b.j;
  });
  DisjointSets sets(n);
  std::vector<std::pair<int, int>> tree;
  for (const Edge& e : edges) {
    if (static_cast<int>(tree.size()) + 1 >= n) break;
    if (sets.unite(e.i, e.j)) tree.emplace_back(e.i, e.j);
  }
  return tree;
}

UuasCount uuas(const std::vector<double>& predicted_dist, const std::vector<int>& heads,
               const std::vector<bool>& keep) {
  const size_t n = heads.size();
  require_square(predicted_dist, n, "predicted distances");
  require_keep_size(keep, n);
  const std::vector<int> gold_dist = tree_distances(heads);
  const std::vector<int> kept = kept_indices(keep);
  const int k = static_cast<int>(kept.size());
  UuasCount count;
  if (k == 0) return count;
  // Edges are compared in the restricted numbering; both trees use the same one.
  const auto gold = minimum_spanning_tree(restrict_matrix(gold_dist, n, kept), k);
  const auto predicted = minimum_spanning_tree(restrict_matrix(predicted_dist, n, kept), k);
  const std::set<std::pair<int, int>> gold_set(gold.begin(), gold.end());
  for (const auto& e : predicted) count.correct += gold_set.count(e);
  count.total = static_cast<int64_t>(gold.size());
  return count;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  BTL_REQUIRE(a.size() == b.size(), "spearman: samples of different sizes ", a.size(), " and ", b.size());
  if (a.size() < 2) return kNaN;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::isnan(a[i]) || std::isnan(b[i])) return kNaN;
  return pearson(average_ranks(a), average_ranks(b));
}

std::vector<double> distance_spearman_of_sentence(const std::vector<double>& predicted_dist,
                                                  const std::vector<int>& heads, const std::vector<bool>& keep,
                                                  bool include_self) {
  const size_t n = heads.size();
  require_square(predicted_dist, n, "predicted distances");
  require_keep_size(keep, n);
  const std::vector<int> gold_dist = tree_distances(heads);
  const std::vector<int> kept = kept_indices(keep);
  std::vector<double> rhos;
  rhos.reserve(kept.size());
  std::vector<double> pred_row, gold_row;
  for (int i : kept) {
    pred_row.clear();
    gold_row.clear();
    for (int j : kept) {
      if (j == i && !include_self) continue;
      pred_row.push_back(predicted_dist[i * n + j]);
      gold_row.push_back(gold_dist[i * n + j]);
    }
    rhos.push_back(spearman(pred_row, gold_row));
  }
  return rhos;
}

void LengthAveragedSpearman::add(int sentence_length, double rho) {
  BTL_REQUIRE(sentence_length >= 1, "length-averaged Spearman: sentence length ", sentence_length);
  if (std::isnan(rho)) return;
  Bucket& b = buckets_[sentence_length];
  b.sum += rho;
  ++b.count;
}

void LengthAveragedSpearman::merge(const LengthAveragedSpearman& other) {
  for (const auto& [length, bucket] : other.buckets_) {
    Bucket& b = buckets_[length];
    b.sum += bucket.sum;
    b.count += bucket.count;
  }
}

double LengthAveragedSpearman::mean(int min_len, int max_len) const {
  double sum = 0;
  int lengths = 0;
  for (auto it = buckets_.lower_bound(min_len); it != buckets_.end() && it->first <= max_len; ++it) {
    sum += it->second.sum / static_cast<double>(it->second.count);
    ++lengths;
  }
  return lengths ? sum / lengths : kNaN;
}

std::map<int, double> LengthAveragedSpearman::per_length_means() const {
  std::map<int, double> means;
  for (const auto& [length, b] : buckets_) means[length] = b.sum / static_cast<double>(b.count);
  return means;
}

int least_deep(const std::vector<double>& predicted_depths, const std::vector<bool>& keep) {
  const size_t n = predicted_depths.size();
  BTL_REQUIRE(n >= 1, "least deep word: no words");
  require_keep_size(keep, n);
  const bool any_kept = std::find(keep.begin(), keep.end(), true) != keep.end();
  int best = -1;
  for (size_t i = 0; i < n; ++i) {
    BTL_REQUIRE(!std::isnan(predicted_depths[i]), "least deep word: predicted depth of word ", i + 1, " is NaN");
    if (any_kept && !keep[i]) continue;
    // Strict < keeps the lowest index on a tie.
    if (best < 0 || predicted_depths[i] < predicted_depths[best]) best = static_cast<int>(i);
  }
  return best;
}

double center_of_gravity(const std::vector<double>& weights) {
  BTL_REQUIRE(!weights.empty(), "center of gravity: no layer weights");
  double total = 0, moment = 0;
  for (size_t l = 0; l < weights.size(); ++l) {
    BTL_REQUIRE(std::isfinite(weights[l]) && weights[l] >= 0, "center of gravity: weight of layer ", l, " is ",
                weights[l], " (weights must be finite and non-negative)");
    total += weights[l];
    moment += static_cast<double>(l) * weights[l];
  }
  BTL_REQUIRE(total > 0, "center of gravity: all layer weights are 0");
  return moment / total;
}

double expected_layer(const std::vector<double>& cumulative_scores) {
  const auto& s = cumulative_scores;
  BTL_REQUIRE(!s.empty(), "expected layer: no cumulative scores");
  for (size_t l = 0; l < s.size(); ++l)
    BTL_REQUIRE(std::isfinite(s[l]), "expected layer: score of layer ", l, " is ", s[l]);
  double moment = 0;
  for (size_t l = 1; l < s.size(); ++l) moment += static_cast<double>(l) * (s[l] - s[l - 1]);
  // Σ Δ_l telescopes to s_L − s_0; computed directly it is exactly 0 when the ends are equal,
  // where summing the Δs could leave a rounding residue and a huge quotient.
  const double total = s.back() - s.front();
  return total == 0 ? kNaN : moment / total;
}

}  // namespace bertology
