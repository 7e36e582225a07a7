// Clark et al. (2019) §3 and §6: where a head attends on average (Figures 1, 2, 4) and how far
// apart two heads are (Figure 6). Pure computation on attention maps; shared by stages.
#pragma once

#include <cstdint>
#include <vector>

namespace bertology {

/// What a wordpiece is, for the pattern measures.
enum class TokenKind : uint8_t { Cls, Sep, Punct, Other };

/// The measures, in CSV column order (docs/clark2019.md defines each).
enum PatternMeasure : int {
  kToCls, kToSep, kToPunct, kToNext, kToPrev, kToSelf, kSepToSep, kOtherToSep, kEntropy, kClsEntropy,
  kNumPatternMeasures
};
/// CSV column name of a measure ("to_cls", ...).
const char* pattern_measure_name(int measure);

/// Adds the measures of one sequence for each of `heads` heads:
///   sums[h * kNumPatternMeasures + m] += measure m of head h on this sequence.
/// attention = [heads, T, T] (row = from, column = to, rows sum to 1); kinds = [T].
///   to_X      = (1/T) Σ_i Σ_{j of kind X} a[i,j]          (X = cls, sep, punct)
///   to_next   = (1/T) Σ_{i<T-1} a[i,i+1];  to_prev = (1/T) Σ_{i>0} a[i,i-1];  to_self = (1/T) Σ_i a[i,i]
///   sep_to_sep   = (1/#sep) Σ_{i,j both [SEP]} a[i,j]
///   other_to_sep = (1/(T-#sep)) Σ_{i not [SEP]} Σ_{j [SEP]} a[i,j]
///   entropy      = (1/T) Σ_i −Σ_j a' ln a',  a' = 0.9999 a + 0.0001/T (Clark's smoothing), nats
///   cls_entropy  = the same for row 0 only
void add_sequence_patterns(const float* attention, int heads, int T, const std::vector<TokenKind>& kinds,
                           double* sums);

/// Kinds of wordpieces from their ids: [CLS], [SEP], punctuation (Clark: the pieces "." and ","),
/// other.
std::vector<TokenKind> token_kinds(const std::vector<int32_t>& input_ids, int32_t cls_id, int32_t sep_id,
                                   const std::vector<int32_t>& punct_ids);

/// Jensen–Shannon divergence (nats) between two attention rows of length T after Clark's
/// smoothing for head distances, p' = 0.999 p + 0.001/T.
double smoothed_js_divergence(const float* p, const float* q, int T);

/// head_clusters' sums: adds Σ_rows smoothed_js_divergence(row i of map a, row i of map b) to
/// distances[a·K + b] for every pair a < b of the K maps of one sequence (maps[k] = [T, T],
/// distances = [K, K], the lower triangle untouched). Computed as ½Σp' ln p' + ½Σq' ln q' −
/// Σm ln m, m = (p' + q')/2, with the Σp' ln p' terms once per row; sums in double.
void add_js_distance_sums(const std::vector<std::vector<float>>& maps, int T, std::vector<double>& distances);

}  // namespace bertology
