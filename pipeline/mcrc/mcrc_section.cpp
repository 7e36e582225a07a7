#include "pipeline/mcrc/mcrc_section.h"

namespace bertology {

const ConfigSection<McrcParams>& mcrc_section() {
  static const ConfigSection<McrcParams> section("mcrc", "Si et al. (2019) fine-tuning and attacks", {
      bind(&McrcParams::name,
           string_key("name", "", "Dataset label in the Si et al. tables, e.g. MC160 (empty = the train file's name).")),
      bind(&McrcParams::format,
           enum_key("format", {"mctest", "dream", "mcscript", "race"}, "mctest", "Format of mcrc.train/dev/test.")),
      bind(&McrcParams::train,
           path_key("train", "", "Multiple-choice training set (MCTest .tsv with its .ans, DREAM .json, MCScript .xml, RACE folder).")),
      bind(&McrcParams::dev,
           path_key("dev", "", "Development set: per-epoch evaluation and best-checkpoint choice (empty = keep the last epoch).")),
      bind(&McrcParams::test,
           path_key("test", "", "Test set: accuracy, attacks and un-answerable evaluation.")),
      bind(&McrcParams::max_length,
           int_key("max_length", 320, 4, 100000, "Wordpieces per [CLS] passage [SEP] question+option [SEP] sequence (longest-first truncation).")),
      bind(&McrcParams::epochs,
           int_key("epochs", 3, 1, 1000, "Fine-tuning epochs.")),
      bind(&McrcParams::batch_size,
           int_key("batch_size", 16, 1, kUnbounded, "Questions per optimiser step, over all ranks.")),
      bind(&McrcParams::micro_batch,
           int_key("micro_batch", 4, 1, kUnbounded, "Questions per forward/backward on one rank (gradient accumulation).")),
      bind(&McrcParams::lr,
           float_key("lr", 5e-5, 1e-9, 1.0, "Peak learning rate (AdamW, linear warm-up then linear decay).")),
      bind(&McrcParams::warmup,
           float_key("warmup", 0.1, 0.0, 1.0, "Fraction of the steps with linear warm-up.")),
      bind(&McrcParams::weight_decay,
           float_key("weight_decay", 0.01, 0.0, 10.0, "AdamW decoupled weight decay (not on biases and LayerNorm weights).")),
      bind(&McrcParams::adam_eps,
           float_key("adam_eps", 1e-8, 1e-12, 1.0, "AdamW epsilon.")),
      bind(&McrcParams::max_grad_norm,
           float_key("max_grad_norm", 1.0, 0.0, kUnbounded, "Global gradient-norm clipping (0 = none).")),
      bind(&McrcParams::dropout,
           float_key("dropout", 0.1, -1.0, 0.99, "Dropout while fine-tuning (encoder and classifier); -1 = the checkpoint's config.")),
      bind(&McrcParams::checkpoint_every,
           int_key("checkpoint_every", 20, 0, kUnbounded, "Optimiser steps between resumable checkpoints (0 = epoch ends only).")),
      bind(&McrcParams::eval_batch,
           int_key("eval_batch", 8, 1, kUnbounded, "Questions per evaluation forward.")),
      bind(&McrcParams::attacks,
           strings_key("attacks", {"AddSent2Pas-Shuffle", "AddSent2Opt-Shuffle", "AddAns2Opt-Shuffle", "Sent2Opt-Shuffle",
          "Ans2Opt-Shuffle", "AddSent2Opt", "AddAns2Opt"},
          "mcrc_attacks: test-time attacks (Table 2 rows; empty = none).")),
      bind(&McrcParams::attack_seed,
           int_key("attack_seed", 2020, 0, kUnbounded, "Seed of the attacks (Si et al.'s code: 2020).")),
      bind(&McrcParams::min_shuffle_degree,
           float_key("min_shuffle_degree", 0.5, 0.0, 1.0, "Attacks re-shuffle until ShuffleDegree reaches this.")),
      bind(&McrcParams::unanswerable,
           strings_key("unanswerable", {"P-Shuffle", "Q-Shuffle", "PQ-Shuffle", "P-Remove", "Q-Remove", "PQ-Remove"},
          "mcrc_finetune: un-answerable training regimes (Table 3 rows; empty = none).")),
  });
  return section;
}

}  // namespace bertology
