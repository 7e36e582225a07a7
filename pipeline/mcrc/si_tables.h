// The tables of the Si et al. (2019) stages that si_report reads (stage_table.h): file and column
// names exist here once, for the writing stage and the report.
#pragma once

#include "pipeline/stage/stage_table.h"

namespace bertology {

inline const StageTable kFinetuneRegimes{"mcrc_finetune", "regimes.csv",
                                         {"dataset", "regime", "train_questions", "truncated_options", "epochs",
                                          "best_epoch", "dev_accuracy", "test_accuracy", "train_seconds",
                                          "train_tokens_per_s", "resumed_from_step"}};
inline const StageTable kFinetuneEpochs{"mcrc_finetune", "epochs.csv", {"regime", "epoch", "train_loss", "dev_accuracy", "seconds"}};
/// mcrc_finetune/runs.json: {"dataset", "runs": {regime: {"run_key", ...}}} (no columns: JSON).
inline const StageTable kFinetuneRuns{"mcrc_finetune", "runs.json", {}};
inline const StageTable kAttackResults{"mcrc_attacks", "attacks.csv",
                                       {"dataset", "attack", "questions", "accuracy", "change_percent",
                                        "mean_shuffle_degree", "option_length_change_percent", "unmet_sequences", "inputs",
                                        "added_text_inputs", "added_text_cut_inputs", "passage_untruncated_percent"}};
inline const StageTable kAttackCorrelations{"mcrc_attacks", "correlations.csv", {"analysis", "points", "pearson", "paper"}};

}  // namespace bertology
