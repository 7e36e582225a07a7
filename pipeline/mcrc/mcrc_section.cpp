#include "pipeline/mcrc/mcrc_section.h"

namespace bertology {

const ConfigSection<McrcParams>& mcrc_section() {
  static const ConfigSection<McrcParams> section("mcrc", "Si et al. (2019) fine-tuning and attacks", {
      field(&McrcParams::name,
           string_key("name", "", "Dataset label in the Si et al. tables, e.g. MC160 (empty = the train file's name).")),
      field(&McrcParams::format,
           enum_key("format", {"mctest", "dream", "mcscript", "race"}, "mctest", "Format of mcrc.train/dev/test.")),
      field(&McrcParams::train,
           path_key("train", "", "Multiple-choice training set (MCTest .tsv with its .ans, DREAM .json, MCScript .xml, RACE folder).")),
      field(&McrcParams::dev,
           path_key("dev", "", "Development set: per-epoch evaluation and best-checkpoint choice (empty = keep the last epoch).")),
      field(&McrcParams::test,
           path_key("test", "", "Test set: accuracy, attacks and un-answerable evaluation.")),
      field(&McrcParams::max_length,
           int_key("max_length", 320, 4, 100000, "Wordpieces per [CLS] passage [SEP] question+option [SEP] sequence (longest-first truncation).")),
      field(&McrcParams::training, &McTrainOptions::epochs,
           int_key("epochs", 3, 1, 1000, "Fine-tuning epochs.")),
      field(&McrcParams::training, &McTrainOptions::batch_size,
           int_key("batch_size", 16, 1, kUnbounded, "Questions per optimiser step, over all ranks.")),
      field(&McrcParams::training, &McTrainOptions::micro_batch,
           int_key("micro_batch", 4, 1, kUnbounded, "Questions per forward/backward on one rank (gradient accumulation).")),
      field(&McrcParams::training, &McTrainOptions::lr,
           float_key("lr", 5e-5, 1e-9, 1.0, "Peak learning rate (AdamW, linear warm-up then linear decay).")),
      field(&McrcParams::training, &McTrainOptions::warmup,
           float_key("warmup", 0.1, 0.0, 1.0, "Fraction of the steps with linear warm-up.")),
      field(&McrcParams::training, &McTrainOptions::weight_decay,
           float_key("weight_decay", 0.01, 0.0, 10.0, "AdamW decoupled weight decay (not on biases and LayerNorm weights).")),
      field(&McrcParams::training, &McTrainOptions::adam_eps,
           float_key("adam_eps", 1e-8, 1e-12, 1.0, "AdamW epsilon.")),
      field(&McrcParams::training, &McTrainOptions::max_grad_norm,
           float_key("max_grad_norm", 1.0, 0.0, kUnbounded, "Global gradient-norm clipping (0 = none).")),
      field(&McrcParams::dropout,
           float_key("dropout", 0.1, -1.0, 0.99, "Dropout while fine-tuning (encoder and classifier); -1 = the checkpoint's config.")),
      field(&McrcParams::training, &McTrainOptions::checkpoint_every,
           int_key("checkpoint_every", 20, 0, kUnbounded, "Optimiser steps between resumable checkpoints (0 = epoch ends only).")),
      field(&McrcParams::training, &McTrainOptions::eval_batch,
           int_key("eval_batch", 8, 1, kUnbounded, "Questions per evaluation forward.")),
      field(&McrcParams::attacks,
           strings_key("attacks", {"AddSent2Pas-Shuffle", "AddSent2Opt-Shuffle", "AddAns2Opt-Shuffle", "Sent2Opt-Shuffle",
          "Ans2Opt-Shuffle", "AddSent2Opt", "AddAns2Opt"},
          "mcrc_attacks: test-time attacks (Table 2 rows; empty = none).")),
      field(&McrcParams::attack_seed,
           int_key("attack_seed", 2020, 0, kUnbounded, "Seed of the attacks (Si et al.'s code: 2020).")),
      field(&McrcParams::min_shuffle_degree,
           float_key("min_shuffle_degree", 0.5, 0.0, 1.0, "Attacks re-shuffle until ShuffleDegree reaches this.")),
      field(&McrcParams::unanswerable,
           strings_key("unanswerable", {"P-Shuffle", "Q-Shuffle", "PQ-Shuffle", "P-Remove", "Q-Remove", "PQ-Remove"},
          "mcrc_finetune: un-answerable training regimes (Table 3 rows; empty = none).")),
  });
  return section;
}

}  // namespace bertology
