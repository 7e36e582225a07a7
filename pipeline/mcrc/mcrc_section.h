// Config section `mcrc`: Si et al. (2019) multiple-choice fine-tuning, attacks and un-answerable training
// (docs/si2019.md): mcrc_finetune, mcrc_attacks, si_report.
// Keys, types, defaults and help are the rows in mcrc_section.cpp; `bertology config` lists them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config/config_section.h"

namespace bertology {

/// Values of section `mcrc`: Si et al. (2019) multiple-choice fine-tuning, attacks and un-answerable
/// training (docs/si2019.md). Training defaults follow Si's BERT-RACE base recipe where it fits a
/// 2-core machine.
struct McrcParams {
  std::string name;  ///< dataset label in tables ("" = from the train file name)
  std::string format;  ///< mctest | dream | mcscript | race
  std::string train, dev, test;  ///< dataset files (RACE: folders)
  int64_t max_length{};  ///< wordpieces per option sequence, specials included
  int64_t epochs{};
  int64_t batch_size{};  ///< questions per optimiser step (all ranks)
  int64_t micro_batch{};  ///< questions per forward on one rank
  double lr{};
  double warmup{};
  double weight_decay{};
  double adam_eps{};
  double max_grad_norm{};
  double dropout{};  ///< fine-tuning dropout; < 0 = the checkpoint's config
  int64_t checkpoint_every{};  ///< optimiser steps between resumable checkpoints
  int64_t eval_batch{};  ///< questions per evaluation forward
  std::vector<std::string> attacks;
  int64_t attack_seed{};
  double min_shuffle_degree{};
  std::vector<std::string> unanswerable;
};


/// The section's rows bound to McrcParams; mcrc_section().of(params) gives this run's values.
const ConfigSection<McrcParams>& mcrc_section();

}  // namespace bertology
