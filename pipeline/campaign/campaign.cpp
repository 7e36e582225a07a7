#include "pipeline/campaign/campaign.h"

#include <filesystem>
#include <ostream>
#include <sstream>

#include "pipeline/cache/extract.h"
#include "pipeline/compare/compare.h"
#include "pipeline/stage/run_stages.h"
#include "pipeline/util/error.h"
#include "pipeline/util/heap_policy.h"
#include "pipeline/util/human_bytes.h"

namespace bertology {
namespace fs = std::filesystem;

namespace {

/// "0-6" for a run of consecutive values, else "0, 2, 5".
std::string ranges(const std::vector<int64_t>& v) {
  if (v.empty()) return "none";
  bool consecutive = true;
  for (size_t i = 1; i < v.size(); ++i) consecutive &= v[i] == v[i - 1] + 1;
  if (consecutive && v.size() > 2) return cat(v.front(), "-", v.back());
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

std::string describe_selection(const CacheSelection& s) {
  std::string d = cat("hidden layers ", ranges(s.layers));
  if (s.word_pooling != "none") d += cat(" (+ word vectors: ", s.word_pooling, ")");
  if (s.attention) d += cat(", attention layers ", ranges(s.attention_layers), " x heads ", ranges(s.attention_heads));
  return d;
}

std::string describe_unit(const CampaignUnit& u) {
  const Params& p = u.params;
  return cat("model ", fs::path(p.model.path).filename().string(), ", corpus ", fs::path(p.corpus.path).filename().string(),
             " (", p.corpus.format, p.corpus.max_sentences > 0 ? cat(", first ", p.corpus.max_sentences) : std::string(), "), ",
             p.input.pairs ? "sentence pairs, " : "", p.tokenizer.add_special_tokens ? "" : "no special tokens, ",
             p.input.overlong == "truncate" ? cat("truncated to ", p.tokenizer.max_length) : std::string("every length the model takes"));
}

std::string yaml_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

std::vector<CampaignRun> campaign_runs(const std::vector<std::string>& files, const std::vector<std::string>& sets,
                                       std::vector<std::string> models) {
  const Params campaign = params_from_config(Config::load(files, sets));
  BTL_REQUIRE(!campaign.campaign.studies.empty(), "campaign.studies: empty (not a campaign)");
  if (models.empty()) models = campaign.sweep_models;
  if (models.empty()) models.push_back("");  // each study's own model.path
  std::vector<CampaignRun> runs;
  for (const std::string& study : campaign.campaign.studies)
    for (const std::string& model : models) {
      CampaignRun run;
      run.files = files;
      run.files.insert(run.files.begin(), study);
      run.sets = sets;
      run.sets.push_back("campaign.studies=[]");
      if (!model.empty()) run.sets.push_back("model.path=" + yaml_quoted(fs::absolute(model).lexically_normal().string()));
      run.params = params_from_config(Config::load(run.files, run.sets));
      if (!campaign.campaign.output_dir.empty()) {
        run.sets.push_back("study.output_dir=" +
                           yaml_quoted((fs::path(campaign.campaign.output_dir) / run.params.study.name).string()));
        run.params = params_from_config(Config::load(run.files, run.sets));
      }
      run.label = cat(run.params.study.name, "/", fs::path(run.params.model.path).filename().string());
      runs.push_back(std::move(run));
    }
  return runs;
}

std::vector<std::string> unit_config_sets(const CampaignPlan& plan, const CampaignUnit& unit) {
  const Params& run = plan.runs.at(unit.run).params;
  const Params& u = unit.params;
  std::vector<std::string> sets;
  const auto differs = [&](bool d, const std::string& set) {
    if (d) sets.push_back(set);
  };
  differs(u.model.path != run.model.path, "model.path=" + yaml_quoted(u.model.path));
  differs(u.model.dtype != run.model.dtype, "model.dtype=" + u.model.dtype);
  differs(u.corpus.path != run.corpus.path, "corpus.path=" + yaml_quoted(u.corpus.path));
  differs(u.corpus.format != run.corpus.format, "corpus.format=" + u.corpus.format);
  differs(u.corpus.max_sentences != run.corpus.max_sentences, cat("corpus.max_sentences=", u.corpus.max_sentences));
  differs(u.tokenizer.add_special_tokens != run.tokenizer.add_special_tokens,
          cat("tokenizer.add_special_tokens=", u.tokenizer.add_special_tokens ? "true" : "false"));
  differs(u.tokenizer.max_length != run.tokenizer.max_length, cat("tokenizer.max_length=", u.tokenizer.max_length));
  differs(u.input.pairs != run.input.pairs, cat("input.pairs=", u.input.pairs ? "true" : "false"));
  differs(u.input.overlong != run.input.overlong, "input.overlong=" + u.input.overlong);
  differs(u.extract.chunk_tokens != run.extract.chunk_tokens, cat("extract.chunk_tokens=", u.extract.chunk_tokens));
  differs(u.extract.batch_tokens != run.extract.batch_tokens, cat("extract.batch_tokens=", u.extract.batch_tokens));
  differs(u.extract.dtype != run.extract.dtype, "extract.dtype=" + u.extract.dtype);
  differs(u.extract.deflate != run.extract.deflate, cat("extract.deflate=", u.extract.deflate));
  const CacheSelection& s = unit.selection;
  sets.push_back("extract.layers=" + yaml_list(s.layers));
  sets.push_back("extract.word_pooling=" + s.word_pooling);
  sets.push_back(cat("extract.attention=", s.attention ? "true" : "false"));
  if (s.attention) {
    sets.push_back("extract.attention_layers=" + yaml_list(s.attention_layers));
    sets.push_back("extract.attention_heads=" + yaml_list(s.attention_heads));
  }
  return sets;
}

CampaignPlan plan_campaign(std::string name, std::vector<CampaignRun> runs, const MpiContext& mpi) {
  CampaignPlan plan;
  plan.name = std::move(name);
  plan.runs = std::move(runs);
  std::vector<std::string> unit_ids;
  const auto add = [&](size_t run, const std::string& user, const Params& p) {
    const std::string id = extraction_unit_id(p);
    const CacheSelection sel = requested_selection(p);  // InputError for layers the model lacks: before any work
    ++plan.requests;
    for (size_t u = 0; u < plan.units.size(); ++u)
      if (unit_ids[u] == id && plan.units[u].selection.can_merge(sel)) {
        plan.units[u].selection = plan.units[u].selection.merged(sel);
        plan.units[u].users.push_back(user);
        return;
      }
    unit_ids.push_back(id);
    plan.units.push_back({p, run, sel, {user}});
  };
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const CampaignRun& run = plan.runs[i];
    check_stage_names(run.params.stages);
    if (stages_need_cache(run.params.stages)) add(i, cat(run.label, ": its corpus"), run.params);
    for (const SurveyedRequest& r : survey_stages(run.params, mpi)) add(i, cat(run.label, ": ", r.stage, " (", r.label, ")"), r.params);
  }
  return plan;
}

void print_campaign_plan(const CampaignPlan& plan, const MpiContext& mpi, std::ostream& out) {
  const bool root = mpi.rank() == 0;
  if (root)
    out << "campaign " << plan.name << ": " << plan.runs.size() << " run(s), " << plan.requests << " extraction request(s) -> "
        << plan.units.size() << " unit(s), one forward pass each\n";
  double total = 0;
  for (size_t u = 0; u < plan.units.size(); ++u) {
    const CampaignUnit& unit = plan.units[u];
    std::ostringstream quiet;
    const ExtractionOutcome o = run_extraction(unit.params, mpi, /*dry_run=*/true, quiet, &unit.selection, /*quiet_dry_run=*/true);
    total += o.complete ? 0 : o.expected_bytes;
    if (!root) continue;
    out << "unit " << u + 1 << ": " << describe_unit(unit) << "\n"
        << "  stores: " << describe_selection(o.selection) << "\n"
        << "  " << o.num_tokens << " wordpieces, " << o.chunks_total << " chunks ("
        << (o.complete ? "complete" : cat(o.chunks_done_before, " finished")) << "), "
        << (o.complete ? std::string("nothing to write") : cat("expected ", human_bytes(o.expected_bytes))) << ", entry "
        << o.entry.dir << "\n  used by:";
    for (const auto& user : unit.users) out << "\n    " << user;
    out << "\n";
  }
  if (root) out << "campaign " << plan.name << ": " << human_bytes(total) << " to write in all\n" << std::flush;
}

bool run_campaign(const CampaignPlan& plan, const MpiContext& mpi, std::ostream& out) {
  const bool root = mpi.rank() == 0;
  for (size_t u = 0; u < plan.units.size(); ++u) {
    const CampaignUnit& unit = plan.units[u];
    if (root) out << "[campaign " << plan.name << "] unit " << u + 1 << "/" << plan.units.size() << ": " << describe_unit(unit) << "\n" << std::flush;
    const ExtractionOutcome o = run_extraction(unit.params, mpi, false, out, &unit.selection);
    release_freed_heap();  // the model and batches: not part of the stages' memory
    if (o.stopped) return false;
    BTL_REQUIRE(o.complete, o.entry.dir, ": extraction of campaign unit ", u + 1, " ended with unfinished chunks (see logs/)");
  }
  for (const CampaignRun& run : plan.runs) {
    if (root) out << "[campaign " << plan.name << "] " << run.label << ": stages\n" << std::flush;
    CacheEntry entry;
    if (stages_need_cache(run.params.stages)) {
      const ExtractionOutcome o = run_extraction(run.params, mpi, false, out);  // served by its unit
      if (o.stopped) return false;
      BTL_REQUIRE(o.complete, o.entry.dir, ": extraction for ", run.label, " ended with unfinished chunks (see logs/)");
      entry = o.entry;
    }
    run_stages(run.params, entry, mpi, out);
  }
  if (root)
    out << "campaign " << plan.name << ": " << plan.runs.size() << " run(s) complete; " << plan.units.size()
        << " forward pass(es) served " << plan.requests << " extraction request(s)\n" << std::flush;
  if (root && !plan.output_dir.empty()) {
    CompareOptions compare;
    compare.dirs = {plan.output_dir};
    compare.title = cat("Campaign ", plan.name);
    out << "comparison: " << write_comparison(compare, out) << "\n" << std::flush;
  }
  mpi.barrier();
  return true;
}

}  // namespace bertology
