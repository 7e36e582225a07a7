// Fine-tuning a MultipleChoiceModel (Si et al. 2019 / HF run_multiple_choice), data-parallel over
// MPI ranks, resumable.
//
// A global batch of `batch_size` questions (consecutive in the epoch's seeded permutation) is
// split into contiguous slices, one per rank; each rank runs its slice in micro-batches of at most
// `micro_batch` questions (gradient accumulation), with the loss sum(cross-entropy) / |global
// batch|, so the summed gradients (GradientAllreduce) are the gradient of the mean loss of the
// global batch whatever the number of ranks and micro-batches. Then clipping, AdamW and the
// linear warm-up/decay schedule (mc_optimizer.h) on every rank alike, so replicas stay equal.
//
// Dropout masks are drawn from a generator reseeded from (seed, step, rank, micro-batch) before
// every micro-batch, so a resumed run redraws exactly what the interrupted one would have.
//
// Checkpoints (rank 0 writes; `state_dir` is replaced atomically through a temporary folder):
// weights.safetensors, optimizer.safetensors (AdamW moments) and state.json (steps done, epoch
// records, best dev accuracy, the run key). Written every `checkpoint_every` steps, at each
// epoch end, and when a stop signal arrives (then StopRequested is thrown). A run whose state
// folder exists continues from it; a state written for another run key is an InputError. When a
// run finishes, its state keeps only state.json (best_dir holds the model), and a later call with
// the same run reuses it without training.
// After each epoch the dev accuracy is measured; a better one (strictly) saves the model as a
// loadable checkpoint folder `best_dir` (without a dev set, the last epoch's model is saved).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/dist/mpi_context.h"
#include "pipeline/mcrc/mc_features.h"
#include "pipeline/mcrc/mc_model.h"
#include "pipeline/mcrc/mc_questions.h"
#include "pipeline/mcrc/mc_train_options.h"

namespace bertology {

/// Where a run keeps its files.
struct McTrainPaths {
  std::string state_dir;   ///< resumable state (see the file comment)
  std::string best_dir;    ///< best checkpoint folder
  std::string source_dir;  ///< checkpoint folder the model came from (config.json, vocabulary)
  std::string run_key;     ///< identifies the run's inputs; a state with another key is refused
};

struct McEpochRecord {
  int epoch = 0;               ///< 1-based
  double train_loss = 0.0;     ///< mean cross-entropy over the epoch's questions
  double dev_accuracy = -1.0;  ///< percent; -1 without a dev set
  double seconds = 0.0;        ///< wall time of the epoch's training steps (this session's part)
  int64_t tokens = 0;          ///< real tokens trained on in that time, all ranks
};

struct McTrainResult {
  std::vector<McEpochRecord> epochs;
  int best_epoch = 0;              ///< 1-based; the epoch whose model is in best_dir
  double best_dev_accuracy = -1.0;
  int64_t steps = 0;               ///< optimiser steps done (all sessions)
  int64_t total_steps = 0;
  int64_t resumed_from_step = 0;   ///< 0 = started fresh
  int64_t tokens_this_session = 0; ///< real (non-pad) tokens trained on by all ranks in this session
  double seconds_this_session = 0.0;
  std::string allreduce_backend;
};

/// Trains `model` (already on its device, any mode) in place and leaves it holding the best
/// checkpoint's weights, in eval mode. `dev` may be empty. Each micro-batch asks `train` for its
/// questions' features only, so what the sets hold is theirs to decide (mc_questions.h).
/// Collective: every rank calls it with the same data and options. Throws StopRequested after
/// checkpointing when a stop signal (or options.stop_after_steps) ends the run early.
McTrainResult train_mc_model(MultipleChoiceModel& model, const McQuestions& train, const McQuestions& dev,
                             int32_t pad_id, const McTrainOptions& options, const McTrainPaths& paths,
                             const MpiContext& mpi, std::ostream* log = nullptr);
/// The same over features encoded beforehand.
McTrainResult train_mc_model(MultipleChoiceModel& model, const std::vector<McFeatures>& train,
                             const std::vector<McFeatures>& dev, int32_t pad_id, const McTrainOptions& options,
                             const McTrainPaths& paths, const MpiContext& mpi, std::ostream* log = nullptr);

/// Option scores of every question (row n = question n's C scores), questions split over ranks
/// and gathered on all of them, `batch` questions a forward. Collective. Throws StopRequested
/// when a stop signal arrives.
std::vector<std::vector<float>> score_mc(MultipleChoiceModel& model, const McQuestions& questions, int32_t pad_id,
                                         int64_t batch, const MpiContext& mpi);
std::vector<std::vector<float>> score_mc(MultipleChoiceModel& model, const std::vector<McFeatures>& features,
                                         int32_t pad_id, int64_t batch, const MpiContext& mpi);

/// The question order of epoch `epoch` (0-based): Fisher–Yates over 0..n-1 with a generator
/// seeded from (seed, epoch). Global batch s of the epoch is order[s*batch_size, (s+1)*batch_size).
std::vector<int64_t> mc_epoch_order(int64_t n, uint64_t seed, int64_t epoch);

/// argmax of each row (the first on ties).
std::vector<int> mc_predictions(const std::vector<std::vector<float>>& scores);

/// Copies the weights of a checkpoint written by save_mc_model / the trainer into `model`.
void load_mc_weights(MultipleChoiceModel& model, const std::string& safetensors_path);

}  // namespace bertology
