#include "stages/head_clusters/classical_mds.h"

#include <cmath>
#include <algorithm>
#include <cstddef>

namespace bertology {

std::vector<double> classical_mds(const std::vector<double>& distances, int n, int dims) {
  const size_t N = static_cast<size_t>(n);
  // B = −½ J D² J: double centring of the squared distances.
  std::vector<double> b(N * N), row_mean(N, 0.0);
  double total = 0;
  for (size_t i = 0; i < N; ++i)
    for (size_t j = 0; j < N; ++j) {
      const double d2 = distances[i * N + j] * distances[i * N + j];
      b[i * N + j] = d2;
      row_mean[i] += d2 / n;
      total += d2 / (static_cast<double>(n) * n);
    }
  for (size_t i = 0; i < N; ++i)
    for (size_t j = 0; j < N; ++j) b[i * N + j] = -0.5 * (b[i * N + j] - row_mean[i] - row_mean[j] + total);

  // Power iteration finds the eigenvalue largest in magnitude, but B of a non-Euclidean distance
  // (summed JS divergences) has negative eigenvalues that can be larger in magnitude than the
  // positive ones MDS needs. Shifting by a bound on |λ| (the largest absolute row sum) makes every
  // eigenvalue of B + cI non-negative with the same order as B's, so the iteration finds B's
  // largest (algebraic) eigenvalues; λ is then read back from B itself.
  double shift = 0;
  for (size_t i = 0; i < N; ++i) {
    double row = 0;
    for (size_t j = 0; j < N; ++j) row += std::fabs(b[i * N + j]);
    shift = std::max(shift, row);
  }
  std::vector<double> coords(N * static_cast<size_t>(dims), 0.0), v(N), w(N);
  for (int k = 0; k < dims; ++k) {
    // Fixed, non-symmetric start so that no eigenvector is orthogonal to it by accident.
    for (size_t i = 0; i < N; ++i) v[i] = 1.0 + 0.01 * static_cast<double>(i % 7) + 0.001 * static_cast<double>(i);
    double lambda = 0;
    for (int iter = 0; iter < 20000; ++iter) {
      for (size_t i = 0; i < N; ++i) {
        double s = shift * v[i];
        for (size_t j = 0; j < N; ++j) s += b[i * N + j] * v[j];
        w[i] = s;
      }
      double norm = 0;
      for (double x : w) norm += x * x;
      norm = std::sqrt(norm);
      if (norm == 0) break;
      double change = 0;
      for (size_t i = 0; i < N; ++i) {
        const double next = w[i] / norm;
        change += std::fabs(next - v[i]);
        v[i] = next;
      }
      lambda = norm;
      if (change < 1e-12 * n) break;
    }
    // Rayleigh quotient gives the signed eigenvalue (power iteration converges on |λ|).
    double rq = 0;
    for (size_t i = 0; i < N; ++i) {
      double s = 0;
      for (size_t j = 0; j < N; ++j) s += b[i * N + j] * v[j];
      rq += v[i] * s;
    }
    lambda = rq;
    size_t largest = 0;
    for (size_t i = 1; i < N; ++i)
      if (std::fabs(v[i]) > std::fabs(v[largest])) largest = i;
    const double sign = v[largest] < 0 ? -1.0 : 1.0;
    const double scale = lambda > 0 ? std::sqrt(lambda) : 0.0;
    for (size_t i = 0; i < N; ++i) coords[i * dims + k] = sign * v[i] * scale;
    // Deflate: B -= λ v vᵀ.
    for (size_t i = 0; i < N; ++i)
      for (size_t j = 0; j < N; ++j) b[i * N + j] -= lambda * v[i] * v[j];
  }
  return coords;
}

const char* head_behaviour(double entropy, double to_next, double to_prev, double to_cls, double to_sep,
                           double to_punct) {
  if (entropy > 3.8) return "broad";
  if (to_next > 0.5) return "next";
  if (to_prev > 0.5) return "prev";
  if (to_cls > 0.6) return "cls";
  if (to_sep > 0.6) return "sep";
  if (to_punct > 0.6) return "punct";
  return "other";
}

}  // namespace bertology
