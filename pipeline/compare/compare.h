// `bertology compare`: the headline tables of several models side by side (issue #17).
//
//   bertology compare results/clark2019 results/probing --out results/compare.md
//   bertology compare results/campaigns/clark-probing          (-> results/campaigns/clark-probing/compare.md)
//
// Input. Each DIR is a study's output folder (one folder per model inside, as `bertology run`
// writes: <study.output_dir>/<model>/<stage>/...) or a campaign's output folder (one study folder
// per study inside). A model folder is one with at least one finished stage (<stage>/stage.json);
// its depth (hidden layers L) comes from model.json, which run_stages writes beside the stages.
//
// Output. compare.md: per study, for every declared stage table that some model has
// (pipeline/analysis/clark_tables.h, pipeline/probe/probing_tables.h, pipeline/mcrc/si_tables.h),
// one column per model with the cells copied verbatim from the per-model CSV (so the numbers are
// the CSVs' numbers), the paper's number beside them where one exists (Clark et al. Tables 1-3,
// Lin et al.'s confusion scores), and per-layer tables on relative depth (layer / L: 0 =
// embeddings, 1 = the last layer) so that a 6-layer and a 24-layer model line up. compare_curves.csv
// holds those curves (study, figure, series, model, layer, depth, value); figures/compare_*.png
// overlays them (matplotlib, when a Python with it exists; the tables never depend on it).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace bertology {

struct CompareOptions {
  std::vector<std::string> dirs;  ///< study or campaign output folders
  std::string out;                ///< compare.md path; empty = <dirs[0]>/compare.md (one DIR only)
  std::string title;              ///< heading; empty = "Comparison"
  bool figures = true;            ///< draw figures/compare_*.png (needs matplotlib)
};

/// Writes compare.md (and compare_curves.csv, figures/) next to it; returns the compare.md path.
/// InputError naming the folder when a DIR holds no model results, or a table is malformed.
std::string write_comparison(const CompareOptions& options, std::ostream& log);

}  // namespace bertology
