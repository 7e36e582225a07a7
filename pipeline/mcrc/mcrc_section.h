// Config section `mcrc`: Si et al. (2019) multiple-choice fine-tuning, attacks and un-answerable training
// (docs/si2019.md): mcrc_finetune, mcrc_attacks, si_report.
// Keys, types, defaults and help are the rows in mcrc_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"
#include "pipeline/mcrc/mc_train_options.h"

namespace bertology {

/// Values of section `mcrc`: Si et al. (2019) multiple-choice fine-tuning, attacks and un-answerable
/// training (docs/si2019.md). Training defaults follow Si's BERT-RACE base recipe where it fits a
/// 2-core machine.
struct McrcParams {
  std::string name;  ///< dataset label in tables ("" = from the train file name)
  std::string format;  ///< mctest | dream | mcscript | race
  std::string train, dev, test;  ///< dataset files (RACE: folders)
  int64_t max_length{};  ///< wordpieces per option sequence, specials included
  /// Fine-tuning options bound to the rows epochs, batch_size, micro_batch, lr, warmup,
  /// weight_decay, adam_eps, max_grad_norm, checkpoint_every, eval_batch (seed and compute type
  /// come from runtime.seed and model.dtype).
  McTrainOptions training;
  double dropout{};  ///< fine-tuning dropout; < 0 = the checkpoint's config
  std::vector<std::string> attacks;
  int64_t attack_seed{};
  double min_shuffle_degree{};
  std::vector<std::string> unanswerable;
};


/// The section's rows bound to McrcParams; mcrc_section().of(params) gives this run's values.
const ConfigSection<McrcParams>& mcrc_section();

}  // namespace bertology
