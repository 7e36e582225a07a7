// The tables of the Clark et al. (2019) stages that clark_report reads (stage_table.h): file and
// column names exist here once, for the writing stage and the report.
#pragma once

#include "pipeline/stage/stage_table.h"

namespace bertology {

/// attention_patterns/summary.json: per-layer means, the uniform entropy, heads to prev/next (JSON).
inline const StageTable kPatternSummary{"attention_patterns", "summary.json", {}};
/// attention_patterns/patterns.csv: per head, the mean attention to special tokens and its entropy.
inline const StageTable kAttentionPatterns{"attention_patterns", "patterns.csv",
                                           {"layer", "head", "to_cls", "to_sep", "to_punct", "entropy"}};
/// dependency_heads/heads.csv: per relation, head and direction, the head's accuracy.
inline const StageTable kDependencyHeadScores{"dependency_heads", "heads.csv",
                                              {"relation", "layer", "head", "direction", "accuracy"}};
inline const StageTable kDependencyRelations{"dependency_heads", "relations.csv",
                                             {"relation", "count", "sd_relation", "best_layer", "best_head", "best_direction",
                                              "best_accuracy", "baseline_offset", "baseline_accuracy"}};
inline const StageTable kAttentionProbeResults{"attention_probe", "results.csv", {"probe", "model", "uas", "correct", "count"}};
inline const StageTable kCorefHeads{"coref_heads", "heads.csv",
                                    {"layer", "head", "all", "pronoun", "proper", "nominal", "count_all", "count_pronoun",
                                     "count_proper", "count_nominal"}};
inline const StageTable kCorefBaselines{"coref_heads", "baselines.csv",
                                        {"system", "all", "pronoun", "proper", "nominal", "count_all", "count_pronoun",
                                         "count_proper", "count_nominal"}};
inline const StageTable kAttentionGradients{"attention_gradients", "gradients.csv", {"layer", "to_sep", "to_punct", "to_other"}};
inline const StageTable kHeadEmbedding{"head_clusters", "embedding.csv", {"layer", "head", "x", "y", "behaviour"}};

}  // namespace bertology
