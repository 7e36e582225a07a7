// The numbers Clark et al. (2019) report, for the report's "paper" columns (REPLICATION.md §2).
// Heads are 1-based "layer-head" as in the paper (BERT-base, PTB-WSJ with Stanford Dependencies).
#pragma once

namespace bertology::clark2019 {

/// Table 1: best head per relation, its accuracy and the best fixed-offset baseline (offset).
struct DependencyRow {
  const char* relation;  ///< Stanford Dependencies label ("all" = every word)
  const char* head;      ///< "layer-head"
  double accuracy, baseline;
  int offset;
};
inline constexpr DependencyRow kTable1[] = {
    {"all", "7-6", 34.5, 26.3, 1},     {"prep", "7-4", 66.7, 61.8, -1},  {"pobj", "9-6", 76.3, 34.6, -2},
    {"det", "8-11", 94.3, 51.7, 1},    {"nn", "4-10", 70.4, 70.2, 1},    {"nsubj", "8-2", 58.5, 45.5, 1},
    {"amod", "4-10", 75.6, 68.3, 1},   {"dobj", "8-10", 86.8, 40.0, -2}, {"advmod", "7-6", 48.8, 40.2, 1},
    {"aux", "4-10", 81.1, 71.5, 1},    {"poss", "7-6", 80.5, 47.7, 1},   {"auxpass", "4-10", 82.5, 40.5, 1},
    {"ccomp", "8-1", 48.8, 12.4, -2},  {"mark", "8-2", 50.7, 14.5, 2},   {"prt", "6-7", 99.1, 91.4, -1},
};

/// Table 3: UAS of the probes (dev, punctuation excluded).
struct ProbeRow {
  const char* probe;  ///< our results.csv probe name (with model "random_init" for the control)
  const char* model;
  double uas;
  const char* paper_name;
};
inline constexpr ProbeRow kTable3[] = {
    {"right_branching", "none", 26, "Right-branching"},
    {"distances_words", "pretrained", 58, "Distances + GloVe"},
    {"attn_words", "random_init", 30, "Random Init Attn + GloVe"},
    {"attn", "pretrained", 61, "Attn"},
    {"attn_words", "pretrained", 77, "Attn + GloVe"},
};

/// Table 2: antecedent selection accuracy (CoNLL-2012 documents cut to 128 tokens).
struct CorefRow {
  const char* system;
  double all, pronoun, proper, nominal;
};
inline constexpr CorefRow kTable2[] = {
    {"nearest_mention", 27, 29, 29, 19},
    {"nearest_head_match", 52, 47, 67, 40},
    {"rule_based_sieves", 69, 70, 77, 60},
    {"best_head (paper: 5-4)", 65, 64, 73, 58},
};

/// §3: heads with more than half of their attention on the previous / next token (BERT-base).
inline constexpr int kHeadsToPrev = 4, kHeadsToNext = 5;
/// §3.3: entropy of [CLS]'s attention in the last layer (nats).
inline constexpr double kLastLayerClsEntropy = 3.89;

}  // namespace bertology::clark2019
