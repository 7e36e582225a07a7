// Turning a study into a Slurm job graph: an extraction array over the study's cache units
// (model x corpus) that are not complete yet, then an analysis-stage array that depends on it.
//
// Safety: no config value is ever pasted into a script as shell text. Unit configs are separate
// YAML files referenced by quoted paths; site values are checked against strict patterns (and
// rejected with their FILE:LINE:COLUMN) or single-quoted.
#pragma once

#include <string>
#include <vector>

#include "pipeline/config/config.h"
#include "pipeline/config/params.h"

namespace bertology {

/// One cache unit of the study.
struct SlurmUnit {
  std::string model_path;   ///< the model of this unit
  std::string config_file;  ///< its complete config (rendered YAML)
  std::string cache_entry;  ///< cache entry directory the unit fills
  bool complete = false;    ///< already complete in the cache: no extraction task
};

/// The rendered graph.
struct SlurmGraph {
  std::string out_dir;
  bool campaign = false;           ///< units are a campaign's extraction units; runs its studies x models
  std::vector<SlurmUnit> units;
  std::vector<std::string> runs;   ///< campaign: the label of each stages task (study/model)
  std::string extract_script;   ///< "" when every unit is complete
  std::string stages_script;
  std::string compare_script;   ///< campaign with campaign.output_dir: compare.md after the stages ("" otherwise)
};

/// Validates the slurm section of `config` (InputError at the offending key's position).
void validate_slurm(const Config& config, const Params& params);

/// Renders unit configs and sbatch scripts under `out_dir` for the study given by config `files`
/// and `sets` overrides. `models` (from --model) overrides sweep.models, which overrides model.path.
/// A campaign (campaign.studies, pipeline/campaign/campaign.h) renders its extraction units
/// (units/unit_NNN.yaml, each requesting the unit's union selection) and its runs
/// (runs/run_NNN.yaml, one study on one model each): the extraction array over the units not
/// complete yet, the stages array over the runs, afterok.
/// `binary`: the bertology executable the jobs run.
SlurmGraph render_slurm_graph(const std::vector<std::string>& files, const std::vector<std::string>& sets,
                              const std::vector<std::string>& models, const std::string& out_dir,
                              const std::string& binary);

/// Submits the graph with sbatch (stages afterok the extraction array, cancelled if it fails);
/// returns the job ids ("" for a job that was not needed).
struct SubmittedGraph {
  std::string extract_job, stages_job, compare_job;
};
SubmittedGraph submit_slurm_graph(const SlurmGraph& graph);

/// Single-quotes `s` for POSIX shells; InputError for NUL or newline (`what` names the value).
std::string shell_single_quote(const std::string& s, const std::string& what);

}  // namespace bertology
