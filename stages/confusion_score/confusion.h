// Lin et al. (2019) §5: the confusion score of attention from a verb or reflexive to the
// candidate phrases. Pure computation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bertology {

/// CS = −log2( a(x_1) / Σ_i a(x_i) ), a(x) = Σ_{w in group x} A[source, w]: A = [n, n] head-averaged
/// word-level attention (row = from), groups[0] the true subject / antecedent. NaN when every
/// group gets zero attention.
double confusion_score(const float* attention, int n, int source, const std::vector<std::vector<int>>& groups);

/// Space-separated word indices ("5 6 9 10 ") split into runs of consecutive indices
/// ({{5, 6}, {9, 10}}): the candidate phrases of an Open Sesame line. InputError on a bad index.
std::vector<std::vector<int>> index_groups(const std::string& indices, const std::string& origin);

}  // namespace bertology
