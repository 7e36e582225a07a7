// Tree metrics of the structural probe (Hewitt & Manning 2019) and the layer summaries of the
// scalar-mix stage (Tenney, Das & Pavlick 2019). Pure computation, no LibTorch: the probe trainer
// produces predicted distances / depths, these functions score them against the gold tree.
//
// Conventions:
// - A sentence has n words, indexed 0..n-1 in every vector this header returns or takes, except
//   `heads`, which holds CoNLL head IDs: heads[i] = 1-based index of word i's head, 0 = the root.
//   Error messages name words by their CoNLL ID (index + 1), as a user sees them in the corpus.
// - Square matrices are row-major vectors of n*n entries: m[i * n + j].
// - Gold distances and depths are counted in tree edges. Predicted ones are in the probe's units
//   (squared probe norms); only their order matters to the metrics here.
// - `keep` (size n) selects the words a metric looks at; the structural-probe stage passes false
//   for punctuation by Hewitt's rule (is_hewitt_punctuation in token_tasks.h: his seven XPOS tags).
// - Malformed input (a head list that is not one tree, sizes that disagree, non-finite predicted
//   distances where an order is needed) throws InputError. Messages say what is wrong but not
//   which sentence: callers that know it catch and rethrow with the sentence added.
//
// Fidelity to john-hewitt/structural-probes `reporter.py` is noted at each function.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace bertology {

// ---------------------------------------------------------------------------------------------
// Gold trees

/// Path lengths in the undirected dependency tree: [n*n], d[i*n + j] = number of edges between
/// words i and j (0 on the diagonal). `heads` must describe exactly one tree: every head in 0..n,
/// exactly one word with head 0, no cycle (InputError naming the offending words otherwise).
std::vector<int> tree_distances(const std::vector<int>& heads);

/// Depth of each word: [n], edges from the root word (the root has depth 0). Same checks as
/// tree_distances.
std::vector<int> tree_depths(const std::vector<int>& heads);

// ---------------------------------------------------------------------------------------------
// Minimum spanning tree and UUAS

/// Minimum spanning tree of the complete graph on n nodes whose edge {i, j} weighs
/// min(dist[i*n + j], dist[j*n + i]) (the matrix is meant to be symmetric; the min makes a
/// rounding asymmetry harmless). dist = [n*n], finite (InputError otherwise).
/// Returns the n − 1 edges as (i, j) with i < j, in the order they were added.
///
/// Ties are broken by the lowest (i, j) pair, lexicographically. That is Kruskal's algorithm over
/// edges sorted by (weight, i, j), which is what Hewitt's `prims_matrix_to_edges` does (despite
/// its name) with a stable sort of the row-major matrix; it matters for gold distances, where a
/// punctuation word inside the tree makes several weight-2 edges tie. O(n² log n).
std::vector<std::pair<int, int>> minimum_spanning_tree(const std::vector<double>& dist, int n);

/// Edge counts of unlabeled undirected attachment: UUAS = correct / total over a corpus.
struct UuasCount {
  int64_t correct = 0;  ///< predicted edges that are gold edges
  int64_t total = 0;    ///< gold edges
};

/// UUAS of one sentence, as Hewitt's reporter: with K = the words where keep[i],
///   gold edges = MST of the gold tree distances restricted to K,
///   predicted edges = MST of predicted_dist restricted to K,
///   correct = |gold ∩ predicted| (undirected), total = |gold| = |K| − 1 (0 when K is empty).
/// When every left-out word is a leaf the gold MST is the gold tree's edges between kept words;
/// the MST definition stays well-defined when a left-out word is internal (its kept neighbours
/// are then joined through weight-2 edges, ties broken as in minimum_spanning_tree).
/// predicted_dist = [n*n]; heads, keep = [n].
UuasCount uuas(const std::vector<double>& predicted_dist, const std::vector<int>& heads,
               const std::vector<bool>& keep);

// ---------------------------------------------------------------------------------------------
// Spearman correlations

/// Pearson correlation of two equally long samples, clamped to [-1, 1]; NaN when a side has
/// zero variance or fewer than 2 values.
double pearson(const std::vector<double>& x, const std::vector<double>& y);

/// Spearman rank correlation of two equally long samples: the Pearson correlation of their
/// ranks, ties given the average of the ranks they span (scipy.stats.spearmanr). NaN when a side
/// is constant, when there are fewer than 2 values, or when a value is NaN (scipy's defaults).
/// Result clipped to [−1, 1] against rounding. InputError when the sizes differ.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

/// Per-word distance Spearmans of one sentence (DSpr's inputs): for each kept word i, in index
/// order, spearman(predicted distances from i, gold tree distances from i) over the kept words j
/// (j ≠ i unless include_self). predicted_dist = [n*n]; heads, keep = [n]. Returns one rho per
/// kept word (NaN entries possible, e.g. a constant predicted row; LengthAveragedSpearman skips
/// them).
///
/// Hewitt's reporter correlates whole rows, the word itself included (distance 0 on both sides),
/// over all words, punctuation included, and adds every word's rho to the bucket of the sentence
/// length. include_self = true with keep all-true and add(n, rho) for each returned rho
/// reproduces it; include_self = false correlates only the distances to the other words.
std::vector<double> distance_spearman_of_sentence(const std::vector<double>& predicted_dist,
                                                  const std::vector<int>& heads, const std::vector<bool>& keep,
                                                  bool include_self = true);

/// Averages Spearman correlations as Hewitt's reporter: rhos are grouped by sentence length,
/// each length's rhos averaged, then the per-length averages averaged over the lengths in
/// [min_len, max_len] that have data (lengths 5–50 in the paper). Each length weighs the same,
/// however many sentences it has. DSpr adds one rho per word, NSpr one per sentence.
/// Deviation: NaN rhos are skipped (Hewitt's np.mean would turn the length's average into NaN).
class LengthAveragedSpearman {
 public:
  /// Adds one rho to the bucket of `sentence_length` (≥ 1, else InputError). NaN is ignored.
  void add(int sentence_length, double rho);

  /// Adds every rho of `other` (per-worker accumulators).
  void merge(const LengthAveragedSpearman& other);

  /// Mean over the lengths in [min_len, max_len] with at least one rho of their mean rho. NaN
  /// when no such length.
  double mean(int min_len = 5, int max_len = 50) const;

  /// Mean rho of each length that has data (the reporter's per-length table).
  std::map<int, double> per_length_means() const;

 private:
  struct Bucket {
    double sum = 0;
    int64_t count = 0;
  };
  std::map<int, Bucket> buckets_;
};

// ---------------------------------------------------------------------------------------------
// Depth probe

/// Index of the kept word with the smallest predicted depth (the lowest index on a tie, as
/// np.argmin). Root accuracy counts a sentence correct when this is the gold root. When no word
/// is kept, the argmin over all words (the fallback of Hewitt's `get_nopunct_argmin`).
/// predicted_depths, keep = [n], n ≥ 1, depths not NaN (InputError otherwise).
int least_deep(const std::vector<double>& predicted_depths, const std::vector<bool>& keep);

// ---------------------------------------------------------------------------------------------
// Scalar mix (Tenney et al. 2019)

/// Center of gravity of scalar-mix weights over layers l = 0..L: Σ_l l·w_l / Σ_l w_l. The
/// softmax weights of a trained mix sum to 1, so the division changes nothing for them; it lets
/// a caller pass unnormalised non-negative weights (e.g. exp(a)) without normalising first.
/// InputError when empty, a weight is negative or non-finite, or all are 0. Result in layers.
double center_of_gravity(const std::vector<double>& weights);

/// Expected layer of cumulative scores s_l (probe on the mix of layers 0..l, l = 0..L):
///   Δ_l = s_l − s_{l−1} (l ≥ 1),  Ē_Δ = Σ_{l≥1} l·Δ_l / Σ_{l≥1} Δ_l.
/// Δ is not clipped (a negative Δ pulls the mean, as in Tenney's code). The denominator is the
/// telescoped s_L − s_0, so equal end scores give exactly 0 and the result NaN (also for a single
/// score). InputError when empty or a score is non-finite. Result in layers.
double expected_layer(const std::vector<double>& cumulative_scores);

}  // namespace bertology
