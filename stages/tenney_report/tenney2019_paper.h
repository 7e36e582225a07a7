// The papers' numbers that report.md prints beside ours (sources: ../shared/REPLICATION.md §4.1-4.2).
//  - Tenney, Das & Pavlick (ACL 2019), Figure 1, BERT-large (24 layers; image
//    keyurfaldu/AIgrads summary/images/bert_analysis_nlp_center_of_gravity_expected_layer.png):
//    F1 of the probe on layer 0 and on the mix of all layers, expected layer Ē_Δ, center of gravity Ē_s.
//  - Tenney et al. (ICLR 2019), Table 2 (jiant probing/analysis_edgeprobe_ICLR_camera_ready.ipynb),
//    BERT-base uncased: F1 of the lexical (layer 0) and mix probes; dev sets, OntoNotes / UD EWT.
#pragma once

namespace bertology {

struct TenneyPaperRow {
  const char* task;         ///< our task name
  const char* paper_task;   ///< the paper's
  double large_f1_layer0, large_f1_mix, large_expected_layer, large_center_of_gravity;
  double base_f1_lex, base_f1_mix;  ///< ICLR 2019 Table 2, BERT-base
};

/// In the paper's pipeline order (ACL 2019: POS, constituents, dependencies, entities, SRL, coreference).
inline constexpr TenneyPaperRow kTenneyPaper[] = {
    {"pos", "POS", 88.5, 96.7, 3.39, 11.68, 88.3, 96.5},
    {"consts", "Consts.", 73.6, 87.0, 3.79, 13.06, 66.9, 86.6},
    {"deps", "Deps.", 85.6, 95.5, 5.69, 13.75, 80.2, 95.4},
    {"entities", "Entities", 90.6, 96.1, 4.64, 13.16, 89.7, 96.0},
    {"srl", "SRL", 81.3, 91.4, 6.54, 13.63, 74.0, 90.9},
    {"coref", "Coref.", 80.5, 91.9, 9.47, 15.80, 75.8, 90.5},
};
inline constexpr int kTenneyPaperLayers = 24;  ///< BERT-large

}  // namespace bertology
