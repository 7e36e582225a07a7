// Hewitt & Manning (2019)'s structural probes, trained with LibTorch (the header is torch-free).
//   distance: d_B(i, j) = ‖B(h_i − h_j)‖² fitted to the tree distance between words i and j,
//             loss Σ_sentences (1/n²) Σ_{i,j} |d_tree − d_B| (mean over the batch's sentences);
//   depth:    ‖B h_i‖² fitted to the depth of word i, loss Σ (1/n) Σ_i |depth − ‖B h_i‖²|.
// B is [rank, d], initialised U(−0.05, 0.05) from the seed; Adam; batches of sentences; as
// Hewitt's regimen.py: after each epoch the learning rate is multiplied by `lr_decay` when the dev
// loss did not improve (torch's ReduceLROnPlateau: mode min, factor lr_decay, patience 0, relative
// threshold 1e-4, cooldown 0, a change below 1e-8 skipped), and training stops after `patience`
// epochs without a dev-loss gain of 1e-4 (the best epoch's B is kept). Evaluation as Hewitt's reporter (pipeline/probe/tree_metrics.h):
// UUAS of the predicted distances' minimum spanning tree and root accuracy of the least deep
// word, both without punctuation; DSpr and NSpr (Spearman, averaged per sentence length, then
// over lengths 5–50) over all words, as Hewitt computes them.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "pipeline/stage/epoch_order.h"
#include "pipeline/stage/windowed_source.h"

namespace bertology {

struct StructuralSentence {
  int n = 0;                    ///< words
  std::vector<float> vectors;   ///< [n, d], or empty when vectors_half holds them
  std::vector<uint16_t> vectors_half;  ///< [n, d] float16 bits (a float16 cache's vectors, exact)
  std::vector<int> heads;       ///< CoNLL heads, 1-based, 0 = root
  std::vector<bool> keep;       ///< not punctuation
};

struct StructuralOptions {
  std::string kind = "distance";  ///< distance | depth
  int64_t rank = 128;
  double lr = 1e-3;
  double lr_decay = 0.1;  ///< ReduceLROnPlateau factor; 1 = constant learning rate
  int64_t batch_sentences = 20;
  int max_epochs = 40;
  int patience = 5;
  uint64_t seed = 1234;
  EpochShuffle shuffle;  ///< the epoch order of the training sentences (pipeline/stage/epoch_order.h)
};

struct StructuralResult {
  double uuas = 0, dspr = 0;       ///< distance probe (NaN for depth)
  double root_accuracy = 0, nspr = 0;  ///< depth probe (NaN for distance)
  int epochs = 0, best_epoch = 0;
  double final_lr = 0;             ///< learning rate after the last epoch
  int64_t sentences = 0;           ///< test sentences
};

/// The learning-rate decay of Hewitt's regimen: torch.optim.lr_scheduler.ReduceLROnPlateau with
/// mode "min", patience 0, threshold 1e-4 relative, cooldown 0, min_lr 0, eps 1e-8, stepped once
/// per epoch with the dev loss.
struct PlateauDecay {
  double lr;      ///< current learning rate
  double factor;  ///< multiplier on a plateau, in (0, 1]
  double best = std::numeric_limits<double>::infinity();
  /// Records an epoch's dev loss; returns the learning rate for the next epoch: unchanged when
  /// loss < best·(1 − 1e-4) (and best becomes loss), else lr·factor unless that changes lr by
  /// less than 1e-8.
  double step(double loss);
};

/// Bytes a loaded StructuralSentence of n words holds: n·d values of `value_bytes` (4: float32,
/// 2: float16), n heads and n flags.
int64_t structural_sentence_bytes(int64_t n, int64_t d, int64_t value_bytes = 4);

/// Where the probe gets its sentences: count() of them, loaded a window at a time, so that a
/// training set larger than memory streams from the cache (pipeline/stage/windowed_source.h).
using StructuralSentenceSource = WindowedSource<StructuralSentence>;

/// `dim` = d. `should_stop` (may be null) is polled between batches (StopRequested).
StructuralResult train_structural_probe(const std::vector<StructuralSentence>& train,
                                        const std::vector<StructuralSentence>& dev,
                                        const std::vector<StructuralSentence>& test, int64_t dim,
                                        const StructuralOptions& options, bool (*should_stop)() = nullptr);
/// The same over sources read a window of at most `hold_bytes` at a time: each epoch's shuffled
/// order in windows of whole batches, the dev loss and the test set in windows of their order.
/// The batches, their order and every sum are those of the held case: the result does not depend
/// on hold_bytes. Gold distances/depths are computed per visit (no Σn² table is kept).
StructuralResult train_structural_probe(StructuralSentenceSource& train, StructuralSentenceSource& dev,
                                        StructuralSentenceSource& test, int64_t dim, const StructuralOptions& options,
                                        int64_t hold_bytes, bool (*should_stop)() = nullptr);

}  // namespace bertology
