// What the Si et al. (2019) stages share: the datasets a config names, the identity of a
// fine-tuning run (its key: model weights, data, regime, recipe) and where its checkpoints live.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>

#include "pipeline/config/params.h"
#include "pipeline/mcrc/mcrc_section.h"
#include "pipeline/mcrc/mc_example.h"

namespace bertology {

/// The datasets of section `mcrc`.
struct McStudyData {
  std::string name;  ///< mcrc.name, or the train file's stem ("mc160.train")
  McDataset train, dev, test;  ///< dev is empty when mcrc.dev is ""
};

/// Which datasets load_mc_study_data reads.
enum class McSets { All, TestOnly };

/// Reads mcrc.train / dev / test (only test with McSets::TestOnly: train and dev stay empty);
/// InputError naming the key when train or test is not set, or when the datasets read have
/// different option counts.
McStudyData load_mc_study_data(const McrcParams& p, McSets sets = McSets::All);

/// sha256 of a dataset's content (ids, passages, questions, options, answers).
std::string mc_dataset_digest(const McDataset& data);

/// The key of one fine-tuning run: sha256 over the model weights' digest, the training and dev
/// data, the regime ("original" or an un-answerable transform), the recipe (every training key
/// of section `mcrc` but the evaluation-only ones) and the seed.
std::string mc_run_key(const Params& p, const std::string& regime, const std::string& model_sha256,
                       const McStudyData& data);

/// <cache.dir>/mcrc/<first 16 hex digits of the run key>: the run's state/ and best/ folders.
std::string mc_run_dir(const Params& p, const std::string& run_key);

}  // namespace bertology
