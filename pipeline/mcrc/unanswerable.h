// Un-answerable training data of Si et al. 2019 (§4.1–4.2; REPLICATION.md §3.3): the training
// set's passages and/or questions are shuffled word by word or removed; options and labels are
// kept, and test sets are never transformed. Torch-free.
//
// Words are split_words() of attacks.h (whitespace runs) and a shuffled text is written back with
// single spaces; a removed text is the empty string. The shuffle is a plain Fisher–Yates with
// std::mt19937_64 seeded with example_seed(seed, index) (no ShuffleDegree threshold: the paper
// states none for these transforms); PQ-Shuffle shuffles the passage first, then the question,
// from the same engine.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pipeline/mcrc/mc_example.h"

namespace bertology {

enum class Unanswerable { PShuffle, QShuffle, PQShuffle, PRemove, QRemove, PQRemove };

/// "P-Shuffle", "Q-Shuffle", "PQ-Shuffle", "P-Remove", "Q-Remove", "PQ-Remove".
const char* unanswerable_name(Unanswerable kind);
/// The transform of that exact name; InputError listing the valid names otherwise.
Unanswerable parse_unanswerable(std::string_view name);
/// All six, in Table 3's order.
const std::vector<Unanswerable>& all_unanswerable();

/// The transformed copy of `example` (id, origin, options and answer kept).
McExample make_unanswerable(const McExample& example, Unanswerable kind, uint64_t seed, uint64_t index);
/// Every example transformed, index = position in `examples`.
std::vector<McExample> make_unanswerable_set(const std::vector<McExample>& examples, Unanswerable kind,
                                             uint64_t seed);

}  // namespace bertology
