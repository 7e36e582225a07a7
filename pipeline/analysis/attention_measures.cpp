#include "pipeline/analysis/attention_measures.h"

#include <cmath>

namespace bertology {

const char* pattern_measure_name(int measure) {
  static const char* const names[kNumPatternMeasures] = {"to_cls",  "to_sep",     "to_punct",     "to_next",
                                                         "to_prev", "to_self",    "sep_to_sep",   "other_to_sep",
                                                         "entropy", "cls_entropy"};
  return names[measure];
}

namespace {

double smoothed_row_entropy(const float* row, int T) {
  double h = 0;
  for (int j = 0; j < T; ++j) {
    const double p = 0.9999 * row[j] + 0.0001 / T;
    h -= p * std::log(p);
  }
  return h;
}

}  // namespace

void add_sequence_patterns(const float* attention, int heads, int T, const std::vector<TokenKind>& kinds,
                           double* sums) {
  int num_sep = 0;
  for (TokenKind k : kinds) num_sep += k == TokenKind::Sep;
  for (int h = 0; h < heads; ++h) {
    const float* a = attention + static_cast<int64_t>(h) * T * T;
    double m[kNumPatternMeasures] = {};
    for (int i = 0; i < T; ++i) {
      const float* row = a + static_cast<int64_t>(i) * T;
      double to_sep_from_i = 0;
      for (int j = 0; j < T; ++j) {
        switch (kinds[j]) {
          case TokenKind::Cls: m[kToCls] += row[j]; break;
          case TokenKind::Sep: m[kToSep] += row[j]; to_sep_from_i += row[j]; break;
          case TokenKind::Punct: m[kToPunct] += row[j]; break;
          case TokenKind::Other: break;
        }
      }
      if (kinds[i] == TokenKind::Sep) m[kSepToSep] += to_sep_from_i;
      else m[kOtherToSep] += to_sep_from_i;
      if (i + 1 < T) m[kToNext] += row[i + 1];
      if (i > 0) m[kToPrev] += row[i - 1];
      m[kToSelf] += row[i];
      const double entropy = smoothed_row_entropy(row, T);
      m[kEntropy] += entropy;
      if (i == 0) m[kClsEntropy] = entropy;
    }
    for (int k : {kToCls, kToSep, kToPunct, kToNext, kToPrev, kToSelf, kEntropy}) m[k] /= T;
    m[kSepToSep] = num_sep > 0 ? m[kSepToSep] / num_sep : 0.0;
    m[kOtherToSep] = T > num_sep ? m[kOtherToSep] / (T - num_sep) : 0.0;
    for (int k = 0; k < kNumPatternMeasures; ++k) sums[h * kNumPatternMeasures + k] += m[k];
  }
}

std::vector<TokenKind> token_kinds(const std::vector<int32_t>& input_ids, int32_t cls_id, int32_t sep_id,
                                   const std::vector<int32_t>& punct_ids) {
  std::vector<TokenKind> kinds;
  kinds.reserve(input_ids.size());
  for (int32_t id : input_ids) {
    TokenKind k = TokenKind::Other;
    if (id == cls_id) k = TokenKind::Cls;
    else if (id == sep_id) k = TokenKind::Sep;
    else
      for (int32_t p : punct_ids)
        if (id == p) k = TokenKind::Punct;
    kinds.push_back(k);
  }
  return kinds;
}

double smoothed_js_divergence(const float* p, const float* q, int T) {
  double js = 0;
  for (int j = 0; j < T; ++j) {
    const double a = 0.999 * p[j] + 0.001 / T, b = 0.999 * q[j] + 0.001 / T, mid = 0.5 * (a + b);
    js += 0.5 * (a * std::log(a / mid) + b * std::log(b / mid));
  }
  return js;
}

void add_js_distance_sums(const std::vector<std::vector<float>>& maps, int T, std::vector<double>& distances) {
  const size_t K = maps.size();
  std::vector<double> smoothed(K * T * T);
  std::vector<double> neg_entropy(K * T, 0.0);
  for (size_t k = 0; k < K; ++k)
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) {
        const double p = 0.999 * maps[k][static_cast<size_t>(i) * T + j] + 0.001 / T;
        smoothed[(k * T + i) * T + j] = p;
        neg_entropy[k * T + i] += p * std::log(p);
      }
  for (size_t a = 0; a < K; ++a)
    for (size_t b = a + 1; b < K; ++b) {
      double js = 0;
      for (int i = 0; i < T; ++i) {
        const double* p = &smoothed[(a * T + i) * T];
        const double* q = &smoothed[(b * T + i) * T];
        double mixed = 0;
        for (int j = 0; j < T; ++j) {
          const double m = 0.5 * (p[j] + q[j]);
          mixed += m * std::log(m);
        }
        js += 0.5 * (neg_entropy[a * T + i] + neg_entropy[b * T + i]) - mixed;
      }
      distances[a * K + b] += js;
    }
}

}  // namespace bertology
