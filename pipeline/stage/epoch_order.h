// The order in which a trainer visits its training items in an epoch (probe.shuffle).
//
//   full   (default) the previous epoch's order shuffled again (std::shuffle): every batch draws
//          from the whole training set. Streamed from the cache under a small budget, each window
//          of whole batches then touches nearly every stored chunk, so an epoch's reading grows
//          with (corpus / window) × corpus: superlinear (docs/scale.md).
//   blocks the items cut into consecutive blocks of `block` items in storage order (item k in
//          block ⌊k / block⌋); each epoch shuffles the blocks, then the items within each block,
//          and concatenates them. A window then reads a few consecutive runs of stored rows, and
//          an epoch reads each chunk about max(1, block / window) times: linear in the corpus.
//          The batches mix only items of one block (a batch may straddle two), so the numbers
//          differ from `full`; they do not depend on the memory budget, and held and streamed
//          runs give the same numbers, as with `full`.
//
// Items are rows for the token probes, scalar mix and Lin's probes, sentences for the structural
// probe. Both modes draw only from `rng`, so a seed gives one order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "pipeline/util/error.h"

namespace bertology {

struct EpochShuffle {
  std::string mode = "full";  ///< full | blocks
  int64_t block = 2048;       ///< items per block (blocks)
};

/// Reorders `order` (a permutation of 0..n-1) for the next epoch, as the file comment says.
template <typename Index>
void shuffle_epoch(std::vector<Index>& order, const EpochShuffle& shuffle, std::mt19937_64& rng) {
  if (shuffle.mode == "full") {
    std::shuffle(order.begin(), order.end(), rng);
    return;
  }
  BTL_CHECK(shuffle.mode == "blocks" && shuffle.block > 0, "shuffle_epoch: unknown mode '", shuffle.mode, "' or block ",
            shuffle.block);
  const size_t n = order.size(), block = static_cast<size_t>(shuffle.block);
  std::vector<size_t> blocks((n + block - 1) / block);
  std::iota(blocks.begin(), blocks.end(), size_t{0});
  std::shuffle(blocks.begin(), blocks.end(), rng);
  auto at = order.begin();
  for (size_t b : blocks) {
    const auto begin = at;
    for (size_t k = b * block; k < std::min(n, (b + 1) * block); ++k) *at++ = static_cast<Index>(k);
    std::shuffle(begin, at, rng);
  }
}

}  // namespace bertology
