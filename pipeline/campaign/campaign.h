// A campaign: several studies on several models as one job, with one forward pass per model x
// corpus x input policy however many studies read it (issue #17).
//
//   bertology run configs/campaigns/reference.yaml [--model DIR ...] [--dry-run]
//
// Planning. A run is one (study, model). Its requests are its own entry (corpus.path with its
// extract selection, when its stages read the cache) and what its stages extract besides (test
// corpora, sentence pairs, derived models), found by surveying the stages (survey_stages).
// Requests with the same extraction_unit_id (model, corpus, input policy, storage: the cache key's
// base) form one extraction unit whose selection is the union of theirs; a request whose word
// pooling cannot merge (mean beside first) opens a second unit. input.overlong: skip stores every
// sentence up to the model's maximum, so studies with different tokenizer.max_length share a unit.
//
// Running. Every unit is extracted once, with its union selection (run_extraction's `also`); then
// every run's stages run in order, and each of their requests is served by its unit's entry
// without a forward pass. A stop signal ends the campaign after the current chunk or stage; the
// same command resumes (complete units and up-to-date stages are skipped).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/cache/cache_key.h"
#include "pipeline/config/config.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/mpi_context.h"

namespace bertology {

/// One study on one model.
struct CampaignRun {
  std::string label;               ///< "<study.name>/<model folder>"
  Params params;                   ///< the study's config with the campaign's overlays and the model
  std::vector<std::string> files;  ///< the config files of params: the study, then the campaign's
  std::vector<std::string> sets;   ///< the --set overrides of params (the campaign's, then the run's own)
};

/// The runs of the campaign that config `files` + `sets` describe (campaign.studies not empty):
/// every study with the campaign's files and overrides merged after it (campaign.studies emptied:
/// a run is a single study), on each model of `models`, else sweep.models, else the study's own
/// model.path; with campaign.output_dir, each study writes to <output_dir>/<study.name>.
/// InputError (FILE:LINE) for a study config that does not load.
std::vector<CampaignRun> campaign_runs(const std::vector<std::string>& files, const std::vector<std::string>& sets,
                                       std::vector<std::string> models);

/// One forward pass over one corpus: what it stores and who reads it.
struct CampaignUnit {
  Params params;                   ///< the first request's parameters (the unit's base)
  size_t run = 0;                  ///< the run that made the first request
  CacheSelection selection;        ///< union of its requests' selections
  std::vector<std::string> users;  ///< "<run label>: <request>" for each request it serves
};

struct CampaignPlan {
  std::string name;
  std::string output_dir;  ///< campaign.output_dir: compare.md is written there at the end (empty: none)
  std::vector<CampaignRun> runs;
  std::vector<CampaignUnit> units;
  int64_t requests = 0;  ///< requests over all runs (each would be one extraction unplanned)
};

/// Surveys every run and groups the requests into units (collective: every rank plans alike).
CampaignPlan plan_campaign(std::string name, std::vector<CampaignRun> runs, const MpiContext& mpi);

/// --set overrides that turn the config of `unit.run` into a config whose own request is the unit:
/// its core keys that differ in the unit's parameters (model, corpus, tokenizer, input, storage)
/// and the unit's union selection as extract.* lists (for the Slurm extraction jobs).
std::vector<std::string> unit_config_sets(const CampaignPlan& plan, const CampaignUnit& unit);

/// --dry-run: each unit with its selection, wordpieces, chunks (finished ones), expected bytes, its
/// entry and its users (rank 0 prints). Extracts nothing; the survey (plan_campaign) has written
/// what the stages build before they extract (derived corpora and models under cache.dir).
void print_campaign_plan(const CampaignPlan& plan, const MpiContext& mpi, std::ostream& out);

/// Extracts every unit, then runs every run's stages, then (rank 0, with plan.output_dir) writes
/// <output_dir>/compare.md over every study of the campaign (pipeline/compare/compare.h).
/// Returns false when a stop signal ended it (resume with the same command); InputError as the
/// runs would raise them.
bool run_campaign(const CampaignPlan& plan, const MpiContext& mpi, std::ostream& out);

}  // namespace bertology
