// Probing classifiers over cached features, trained with LibTorch (the header is torch-free).
//
//   ProbeData train = ..., dev = ..., test = ...;   // rows of features and their labels
//   ProbeOptions o; o.num_classes = 17; o.seed = 1234;
//   ProbeResult r = train_probe(train, dev, test, o, &stop_requested);
//   r.test.accuracy();                              // percent
//
// Models (ProbeOptions::model): "linear" (softmax regression), "dropout_linear" (Lin et al.:
// dropout, then linear), "mlp" (one hidden layer, ReLU, dropout). With mix_layers = M > 0 the
// features are M layers of each row and the probe first forms Tenney's scalar mix
// γ Σ_m softmax(a)_m x_m (a, γ learned jointly). Training: minibatches of `batch_size` rows in an
// order shuffled per epoch from `seed`, Adam or AdamW, at most `max_epochs` epochs, stopping after
// `patience` epochs without a better dev accuracy; the best dev epoch's weights are evaluated.
// Position tasks (Lin et al.'s per-token binary classifier): labels are 0/1 per token, `groups`
// delimit sentences, and a sentence counts as correct when its token with the highest class-1
// logit is its (first) token labelled 1. Deterministic for fixed options and torch threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage/epoch_order.h"

namespace bertology {

/// One split of a probing task.
struct ProbeData {
  int64_t rows = 0;                ///< examples (tokens or words)
  int64_t dim = 0;                 ///< feature size of one layer
  int64_t layers = 1;              ///< layers per row (> 1 only with ProbeOptions::mix_layers)
  std::vector<float> features;     ///< [rows, layers, dim] row-major
  std::vector<int64_t> labels;     ///< [rows], 0 .. num_classes-1
  std::vector<int64_t> groups;     ///< position tasks: sentence g owns rows [groups[g], groups[g+1])
};

struct ProbeOptions {
  std::string model = "linear";    ///< linear | dropout_linear | mlp
  int64_t num_classes = 2;
  int64_t hidden = 256;            ///< mlp hidden units
  double dropout = 0.1;            ///< dropout_linear and mlp
  std::string optimizer = "adam";  ///< adam | adamw
  double lr = 1e-3;
  double weight_decay = 0.0;
  int64_t batch_size = 32;
  int max_epochs = 20;
  int patience = 3;
  uint64_t seed = 1234;
  int64_t mix_layers = 0;          ///< > 0: learn a scalar mix over that many layers per row
  bool position_task = false;      ///< Lin-style: evaluate per group (see the file comment)
  EpochShuffle shuffle;            ///< the epoch order (pipeline/stage/epoch_order.h)
};

/// Correct / total (examples, or sentences for position tasks).
struct ProbeScore {
  int64_t correct = 0, count = 0;
  double accuracy() const { return count > 0 ? 100.0 * correct / count : 0.0; }
};

struct ProbeResult {
  ProbeScore dev, test;
  int epochs = 0;                  ///< epochs trained (including those after the best)
  int best_epoch = 0;              ///< 1-based epoch whose weights were kept
  std::vector<double> mix_weights; ///< softmax(a) of a scalar-mix probe, else empty
  double mix_gamma = 1.0;
  std::vector<ProbeScore> extra;   ///< scores on train_probe's `extra_tests`, in order
};

/// A split whose features are read on demand, a window of rows at a time (a training set larger
/// than memory streams from the cache: docs/scale.md). Labels and groups are in memory (8 B a row).
class ProbeSplit {
 public:
  virtual ~ProbeSplit() = default;
  virtual int64_t rows() const = 0;
  virtual int64_t dim() const = 0;     ///< feature size of one layer
  virtual int64_t layers() const = 0;  ///< layers per row
  virtual const std::vector<int64_t>& labels() const = 0;  ///< [rows]
  virtual const std::vector<int64_t>& groups() const = 0;  ///< position tasks (ProbeData::groups)
  /// Features of rows `ids` (any order) into `out` = [ids.size(), layers, dim], in that order.
  virtual void load(const std::vector<int64_t>& ids, float* out) = 0;
  /// All features [rows, layers, dim] when the split already holds them (no copy is made), else null.
  virtual const float* held_features() const { return nullptr; }
  /// True when every feature is a float16 value read as float, untouched (read from a float16
  /// cache): a held copy then keeps them as float16, exactly, in half the memory.
  virtual bool exact_in_half() const { return false; }
};

/// A ProbeData in memory as a ProbeSplit.
class HeldProbeSplit : public ProbeSplit {
 public:
  explicit HeldProbeSplit(const ProbeData& data) : data_(data) {}
  int64_t rows() const override { return data_.rows; }
  int64_t dim() const override { return data_.dim; }
  int64_t layers() const override { return data_.layers; }
  const std::vector<int64_t>& labels() const override { return data_.labels; }
  const std::vector<int64_t>& groups() const override { return data_.groups; }
  void load(const std::vector<int64_t>& ids, float* out) override;
  const float* held_features() const override { return data_.features.data(); }

 private:
  const ProbeData& data_;
};

/// Trains on `train`, selects on `dev`, scores `test` (and every split of `extra_tests`).
/// `should_stop` (may be null) is polled between batches; StopRequested is thrown when it says so.
ProbeResult train_probe(const ProbeData& train, const ProbeData& dev, const ProbeData& test, const ProbeOptions& options,
                        bool (*should_stop)() = nullptr, const std::vector<const ProbeData*>& extra_tests = {});

/// Rows per evaluation forward for rows of `row_bytes` float32 bytes (layers × dim × 4): 4096, fewer
/// when a row is wider than 4 KiB (a scalar mix over many layers), so that one forward's features
/// are at most 16 MiB. The same whether the features are held or streamed.
int64_t probe_eval_chunk_rows(int64_t row_bytes);

/// Bytes train_probe needs besides the features it holds (the budget's reservation), rows of
/// `layers` × `dim` floats: one evaluation chunk as float32 and its scalar-mix product
/// (2 × probe_eval_chunk_rows × row bytes, at most 32 MiB) and one training batch's copy, mix,
/// activations and gradients (4 × batch_size × row bytes).
int64_t probe_working_bytes(int64_t layers, int64_t dim, int64_t batch_size);

/// The same on splits read on demand. When every split's features fit in `hold_bytes` they are
/// read once and held (as float16 when every split is exact_in_half, else float32); otherwise each
/// epoch reads the training rows a window of its shuffled order at a time (a whole number of
/// batches) and each evaluation reads its split in windows of whole evaluation chunks
/// (probe_eval_chunk_rows; one chunk when hold_bytes is smaller: probe_working_bytes reserves it).
/// The batches, their order and the evaluation chunks are those of the held case, so the result
/// does not depend on hold_bytes. `reads` (optional) says how the features were read.
struct ProbeReads {
  bool streamed = false;  ///< false: every split read once and held
  int64_t windows = 0;    ///< loads (a held split counts one)
  bool held_in_half = false;  ///< held as float16 (exact_in_half splits)
  /// "features held (float16)" / "streamed in N windows", for the stages' logs.
  std::string describe() const;
};
/// `extra_tests` are scored like `test` (ProbeResult::extra).
ProbeResult train_probe(ProbeSplit& train, ProbeSplit& dev, ProbeSplit& test, const ProbeOptions& options,
                        int64_t hold_bytes, bool (*should_stop)() = nullptr, ProbeReads* reads = nullptr,
                        const std::vector<ProbeSplit*>& extra_tests = {});

}  // namespace bertology
