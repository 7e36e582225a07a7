// Classical (Torgerson) multidimensional scaling: points whose Euclidean distances approximate a
// given distance matrix. Clark et al. (2019, Figure 6) embed heads by their attention distances.
#pragma once

#include <vector>

namespace bertology {

/// distances: [n, n] symmetric, zero diagonal. Returns [n, dims] row-major coordinates: the top
/// `dims` eigenvectors (largest eigenvalues) of B = −½ J D² J (J = I − 11ᵀ/n) scaled by
/// √eigenvalue (0 for a negative one). Eigenvectors by shifted power iteration with deflation
/// from a fixed start, and each
/// axis's sign fixed so that its largest-magnitude coordinate is positive: deterministic.
std::vector<double> classical_mds(const std::vector<double>& distances, int n, int dims = 2);

/// Behaviour label of a head from its average measures (Clark's thresholds): "broad" (entropy >
/// 3.8 nats), else "next"/"prev" (> 0.5), else "cls"/"sep"/"punct" (> 0.6), else "other".
const char* head_behaviour(double entropy, double to_next, double to_prev, double to_cls, double to_sep,
                           double to_punct);

}  // namespace bertology
