// The tables of the probing stages that probing_report reads (stage_table.h): file and column
// names exist here once, for the writing stage and the report.
#pragma once

#include "pipeline/stage/stage_table.h"

namespace bertology {

inline const StageTable kLinSummary{"lin_probes", "summary.csv", {"task", "split", "layer", "mean", "sd", "runs"}};
inline const StageTable kConfusionSummary{"confusion_score", "summary.csv",
                                          {"condition", "mean_cs", "uniform", "paper", "count"}};
inline const StageTable kTokenProbeSummary{"token_probes", "summary.csv", {"task", "layer", "mean", "sd", "runs"}};
inline const StageTable kStructuralSummary{"structural_probe", "summary.csv",
                                           {"probe", "layer", "uuas", "dspr", "root_accuracy", "nspr", "uuas_sd",
                                            "root_accuracy_sd", "runs", "sentences"}};
inline const StageTable kScalarMixSummary{"scalar_mix", "summary.csv",
                                          {"task", "center_of_gravity", "expected_layer", "accuracy_all_layers",
                                           "accuracy_layer0"}};

// Tenney et al.'s edge probing (stage edge_probing, read by tenney_report). F1 in percent.
inline const StageTable kEdgeSummary{"edge_probing", "summary.csv", {"task", "layer", "mean", "sd", "runs"}};
inline const StageTable kEdgeTasks{"edge_probing", "tasks.csv",
                                   {"task", "labels", "train_targets", "test_targets", "f1_layer0", "f1_mix",
                                    "center_of_gravity", "expected_layer"}};
inline const StageTable kEdgeCumulative{"edge_probing", "cumulative.csv", {"task", "layer", "dev_f1", "test_f1", "delta"}};
inline const StageTable kEdgeMix{"edge_probing", "mix.csv", {"task", "layer", "weight"}};

}  // namespace bertology
