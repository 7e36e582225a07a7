#include "pipeline/slurm/slurm_jobs.h"

#include "pipeline/stage/run_stages.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "pipeline/cache/extract.h"
#include "pipeline/campaign/campaign.h"
#include "pipeline/dist/mpi_context.h"
#include "pipeline/stage/run_stages.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "slurm_template.h"  // generated from slurm/job.sbatch.in

namespace bertology {
namespace fs = std::filesystem;

namespace {

void require_match(const Config& config, const std::string& key, const std::string& value, const std::regex& re,
                   const std::string& what) {
  if (!value.empty() && !std::regex_match(value, re)) config.fail(key, cat("'", value, "' is not ", what));
}

/// Fills the template's {{NAME}} placeholders in one pass over the template, so that text inserted
/// for one placeholder (a user's env value, say) is never searched for the next ones.
std::string fill_template(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    const auto it = values.find(text.substr(open + 2, close - open - 2));
    BTL_CHECK(it != values.end(), "job template: unknown placeholder ", text.substr(open, close + 2 - open));
    out.append(text, pos, open - pos);
    out += it->second;
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}


/// A safe job-name fragment from the study name.
std::string job_name(const std::string& study) {
  std::string out;
  for (char c : study) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out.empty() ? "study" : out;
}

struct ScriptSpec {
  std::string kind;       // "extract" | "stages"
  std::string command;    // bertology sub-command
  std::string time;
  std::vector<std::string> unit_files;
};

std::string render_script(const Params& p, const ScriptSpec& spec, const std::string& out_dir,
                          const std::string& binary) {
  const auto& s = p.slurm;
  std::vector<std::string> sbatch = {
      "--job-name=bertology-" + job_name(p.study.name) + "-" + spec.kind,
      cat("--array=0-", spec.unit_files.size() - 1),
      cat("--nodes=", s.nodes),
      cat("--ntasks=", s.ntasks),
      cat("--cpus-per-task=", s.cpus_per_task),
      "--time=" + spec.time,
      cat("--signal=B:USR1@", s.signal_seconds),
      s.requeue ? "--requeue" : "--no-requeue",
      "--open-mode=append",
  };
  if (!s.partition.empty()) sbatch.push_back("--partition=" + s.partition);
  if (!s.account.empty()) sbatch.push_back("--account=" + s.account);
  if (!s.qos.empty()) sbatch.push_back("--qos=" + s.qos);
  if (!s.mem.empty()) sbatch.push_back("--mem=" + s.mem);
  if (s.gpus_per_task > 0) sbatch.push_back(cat("--gpus-per-task=", s.gpus_per_task));
  for (const auto& extra : s.extra_sbatch) sbatch.push_back(extra);
  // The log path may hold spaces: sbatch reads double-quoted #SBATCH values (validated: no quote).
  const std::string log = (fs::path(out_dir) / "logs" / (spec.kind + "_%A_%a.out")).string();
  BTL_REQUIRE(log.find('"') == std::string::npos && log.find('\n') == std::string::npos, out_dir,
              ": the job folder path must not contain '\"' or a newline");
  sbatch.push_back("--output=\"" + log + "\"");

  std::string sbatch_lines;
  for (const auto& line : sbatch) sbatch_lines += "#SBATCH " + line + "\n";
  sbatch_lines.pop_back();

  std::string setup;
  for (const auto& m : s.modules) setup += "module load " + shell_single_quote(m, "slurm.modules") + "\n";
  for (const auto& f : s.source) setup += "source " + shell_single_quote(f, "slurm.source") + "\n";
  for (const auto& e : s.env) {
    const auto eq = e.find('=');
    setup += "export " + e.substr(0, eq) + "=" + shell_single_quote(e.substr(eq + 1), "slurm.env") + "\n";
  }
  if (!setup.empty()) setup.pop_back();

  std::string units;
  for (const auto& u : spec.unit_files) units += (units.empty() ? "" : " ") + shell_single_quote(u, "unit config path");

  std::string text = kSlurmJobTemplate;
  text = fill_template(text, {{"KIND", spec.kind},
                              {"STUDY", job_name(p.study.name)},
                              {"SBATCH", sbatch_lines},
                              {"SETUP", setup.empty() ? "# (no site setup)" : setup},
                              {"UNITS", units},
                              {"BINARY", shell_single_quote(binary, "slurm.binary")},
                              {"COMMAND", spec.command},
                              {"EXTRA_SETS", s.gpus_per_task > 0 ? " --set model.device=cuda" : ""},
                              {"REQUEUE", s.requeue ? "1" : "0"}});
  return text;
}

void write_file(const fs::path& path, const std::string& text, bool executable) {
  write_file_atomic(path.string(), text);
  if (executable) fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
}

/// Writes extract.sbatch over `pending` (removed when nothing is pending) and stages.sbatch over
/// `stage_configs` into graph.out_dir.
void write_array_scripts(SlurmGraph& graph, const Params& p, const std::vector<std::string>& pending,
                         const std::vector<std::string>& stage_configs, const std::string& bin) {
  std::error_code ec;
  fs::remove(fs::path(graph.out_dir) / "extract.sbatch", ec);  // a stale one from an earlier render
  if (!pending.empty()) {
    graph.extract_script = (fs::path(graph.out_dir) / "extract.sbatch").string();
    write_file(graph.extract_script, render_script(p, {"extract", "extract", p.slurm.time_extract, pending}, graph.out_dir, bin),
               true);
  }
  graph.stages_script = (fs::path(graph.out_dir) / "stages.sbatch").string();
  write_file(graph.stages_script, render_script(p, {"stages", "run", p.slurm.time_stages, stage_configs}, graph.out_dir, bin),
             true);
}

/// Runs sbatch (no shell involved: arguments go straight to execvp); returns the job id.
std::string sbatch(const std::vector<std::string>& args) {
  int pipefd[2];
  BTL_REQUIRE(pipe(pipefd) == 0, "sbatch: cannot create a pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc == 127) throw InputError("sbatch: not found (is Slurm installed and SLURM_CONF set?)");
  if (rc != 0) throw InputError(cat("sbatch failed (exit ", rc, "): ", out.substr(0, out.find('\n'))));
  return out.substr(0, out.find(';'));  // --parsable prints "id[;cluster]"
}

}  // namespace

std::string shell_single_quote(const std::string& s, const std::string& what) {
  BTL_REQUIRE(s.find('\n') == std::string::npos && s.find('\r') == std::string::npos &&
                  s.find('\0') == std::string::npos,
              what, ": value must not contain a newline");
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void validate_slurm(const Config& config, const Params& p) {
  static const std::regex name(R"([A-Za-z0-9_.+-]+(,[A-Za-z0-9_.+-]+)*)");
  static const std::regex time(R"((\d+-)?\d{1,4}(:\d{2}){0,2})");
  static const std::regex mem(R"(\d+[KMGT]?)");
  static const std::regex module(R"([A-Za-z0-9_.+/-]+)");
  static const std::regex env(R"([A-Za-z_][A-Za-z0-9_]*=[^\n\r]*)");
  static const std::regex option(R"(--[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.,:/@%+=-]*)?)");
  require_match(config, "slurm.partition", p.slurm.partition, name, "a partition name (letters, digits, _.+-, commas)");
  require_match(config, "slurm.account", p.slurm.account, name, "an account name");
  require_match(config, "slurm.qos", p.slurm.qos, name, "a QOS name");
  require_match(config, "slurm.time_extract", p.slurm.time_extract, time, "a Slurm time ([D-]HH:MM:SS)");
  require_match(config, "slurm.time_stages", p.slurm.time_stages, time, "a Slurm time ([D-]HH:MM:SS)");
  require_match(config, "slurm.mem", p.slurm.mem, mem, "a memory size such as 32G");
  if (p.slurm.time_extract.empty()) config.fail("slurm.time_extract", "must not be empty");
  if (p.slurm.time_stages.empty()) config.fail("slurm.time_stages", "must not be empty");
  auto each = [&](const char* key, const std::vector<std::string>& items, const std::regex& re, const char* what) {
    for (size_t i = 0; i < items.size(); ++i)
      if (!std::regex_match(items[i], re)) config.fail(key, cat("item ", i, " '", items[i], "' is not ", what));
  };
  each("slurm.modules", p.slurm.modules, module, "a module name (letters, digits, _.+/-)");
  each("slurm.env", p.slurm.env, env, "NAME=VALUE (NAME: letters, digits, _)");
  each("slurm.extra_sbatch", p.slurm.extra_sbatch, option,
       "a single --option or --option=value without spaces, quotes or shell characters");
  for (size_t i = 0; i < p.slurm.source.size(); ++i)
    if (p.slurm.source[i].find('\n') != std::string::npos) config.fail("slurm.source", cat("item ", i, " contains a newline"));
}

namespace {

/// The campaign's last job: `bertology compare <output_dir>` on one CPU, after the stages array.
std::string render_compare_script(const Params& p, const std::string& output_dir, const std::string& out_dir,
                                  const std::string& binary) {
  const auto& s = p.slurm;
  const std::string log = (fs::path(out_dir) / "logs" / "compare_%j.out").string();
  BTL_REQUIRE(log.find('"') == std::string::npos && log.find('\n') == std::string::npos, out_dir,
              ": the job folder path must not contain '\"' or a newline");
  std::string text = cat("#!/bin/bash\n# bertology compare job for campaign '", job_name(p.study.name),
                         "', rendered by `bertology slurm`. Do not edit: change the config and render again.\n",
                         "#SBATCH --job-name=bertology-", job_name(p.study.name), "-compare\n#SBATCH --ntasks=1\n",
                         "#SBATCH --cpus-per-task=1\n#SBATCH --time=00:30:00\n#SBATCH --output=\"", log, "\"\n");
  if (!s.partition.empty()) text += "#SBATCH --partition=" + s.partition + "\n";
  if (!s.account.empty()) text += "#SBATCH --account=" + s.account + "\n";
  if (!s.qos.empty()) text += "#SBATCH --qos=" + s.qos + "\n";
  text += "set -uo pipefail\n";
  for (const auto& m : s.modules) text += "module load " + shell_single_quote(m, "slurm.modules") + "\n";
  for (const auto& f : s.source) text += "source " + shell_single_quote(f, "slurm.source") + "\n";
  for (const auto& e : s.env) {
    const auto eq = e.find('=');
    text += "export " + e.substr(0, eq) + "=" + shell_single_quote(e.substr(eq + 1), "slurm.env") + "\n";
  }
  text += cat("exec ", shell_single_quote(binary, "slurm.binary"), " compare ", shell_single_quote(output_dir, "campaign.output_dir"),
              " --title ", shell_single_quote("Campaign " + p.study.name, "campaign.name"), "\n");
  return text;
}

/// A campaign's graph: an extraction array over its units (those not complete yet), then a stages
/// array over its runs (study x model), each run's config a single study.
SlurmGraph render_campaign_graph(const Params& params, const std::vector<std::string>& files,
                                 const std::vector<std::string>& sets, const std::vector<std::string>& models,
                                 const std::string& out_dir, const std::string& binary) {
  std::vector<std::string> run_sets = sets;
  if (params.slurm.gpus_per_task > 0) run_sets.push_back("model.device=cuda");
  const MpiContext single_rank;  // not launched by mpirun: planning and status checks run here, alone
  const CampaignPlan plan = plan_campaign(params.campaign.name, campaign_runs(files, run_sets, models), single_rank);

  SlurmGraph graph;
  graph.out_dir = fs::absolute(out_dir).lexically_normal().string();
  graph.campaign = true;
  fs::create_directories(fs::path(graph.out_dir) / "units");
  fs::create_directories(fs::path(graph.out_dir) / "runs");
  fs::create_directories(fs::path(graph.out_dir) / "logs");
  std::vector<std::string> pending, runs;
  for (size_t i = 0; i < plan.units.size(); ++i) {
    const CampaignUnit& unit = plan.units[i];
    const CampaignRun& run = plan.runs[unit.run];
    std::vector<std::string> unit_sets = run.sets;
    for (auto& set : unit_config_sets(plan, unit)) unit_sets.push_back(std::move(set));
    const Config unit_config = Config::load(run.files, unit_sets);
    Params up = params_from_config(unit_config);
    up.cache.verify_on_resume = false;  // a status check; the job itself verifies
    std::ostringstream discard;
    const ExtractionOutcome status = run_extraction(up, single_rank, /*dry_run=*/true, discard, nullptr, true);
    const auto selection_json = [](const CacheSelection& s) {
      CacheKeyParts k;
      k.selection = s;
      return key_json(k);
    };
    BTL_CHECK(selection_json(requested_selection(up)) == selection_json(unit.selection), "slurm: the config of campaign unit ",
              i, " does not request the unit's selection");
    char name[32];
    std::snprintf(name, sizeof name, "unit_%03zu.yaml", i);
    SlurmUnit u;
    u.model_path = up.model.path;
    u.config_file = (fs::path(graph.out_dir) / "units" / name).string();
    u.cache_entry = status.entry.dir;
    u.complete = status.complete;
    std::string users;
    for (const auto& user : unit.users) users += "#   " + user + "\n";
    write_file(u.config_file, cat("# bertology campaign ", plan.name, ", extraction unit ", i, "; read by:\n", users, unit_config.dump()),
               false);
    if (!u.complete) pending.push_back(u.config_file);
    graph.units.push_back(u);
  }
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "run_%03zu.yaml", i);
    const std::string file = (fs::path(graph.out_dir) / "runs" / name).string();
    write_file(file, cat("# bertology campaign ", plan.name, ", run ", i, ": ", plan.runs[i].label, "\n",
                         Config::load(plan.runs[i].files, plan.runs[i].sets).dump()),
               false);
    runs.push_back(file);
    graph.runs.push_back(plan.runs[i].label);
  }
  Params named = params;
  named.study.name = params.campaign.name;  // job names
  const std::string bin = fs::absolute(binary).string();
  write_array_scripts(graph, named, pending, runs, bin);
  std::error_code ec;
  fs::remove(fs::path(graph.out_dir) / "compare.sbatch", ec);
  if (!params.campaign.output_dir.empty()) {
    graph.compare_script = (fs::path(graph.out_dir) / "compare.sbatch").string();
    write_file(graph.compare_script, render_compare_script(named, params.campaign.output_dir, graph.out_dir, bin), true);
  }
  return graph;
}

}  // namespace

SlurmGraph render_slurm_graph(const std::vector<std::string>& files, const std::vector<std::string>& sets,
                              const std::vector<std::string>& models_arg, const std::string& out_dir,
                              const std::string& binary) {
  const Config base = Config::load(files, sets);
  const Params params = params_from_config(base);
  validate_slurm(base, params);
  if (!params.campaign.studies.empty()) return render_campaign_graph(params, files, sets, models_arg, out_dir, binary);
  // Studies whose stages read their own data (fine-tuning) have no extraction job.
  const bool needs_cache = stages_need_cache(params.stages);
  if (needs_cache && base.get_string("corpus.path").empty())
    base.fail("corpus.path", "is required by `bertology slurm` (the study's corpus)");

  std::vector<std::string> models = models_arg;
  if (models.empty()) models = params.sweep_models;
  if (models.empty()) models.push_back(params.model.path);

  SlurmGraph graph;
  graph.out_dir = fs::absolute(out_dir).lexically_normal().string();
  fs::create_directories(fs::path(graph.out_dir) / "units");
  fs::create_directories(fs::path(graph.out_dir) / "logs");

  const MpiContext single_rank;  // not launched by mpirun: status checks run here, alone
  std::vector<std::string> pending, all;
  for (size_t i = 0; i < models.size(); ++i) {
    const std::string model = fs::absolute(models[i]).lexically_normal().string();
    BTL_REQUIRE(fs::is_directory(model), "--model / sweep.models: '", models[i], "' is not a checkpoint folder");
    std::vector<std::string> unit_sets = sets;
    unit_sets.push_back("model.path=" + yaml_quoted(model));
    if (params.slurm.gpus_per_task > 0) unit_sets.push_back("model.device=cuda");
    const Config unit_config = Config::load(files, unit_sets);
    Params unit = params_from_config(unit_config);
    unit.cache.verify_on_resume = false;  // a status check; the job itself verifies
    std::ostringstream discard;
    ExtractionOutcome status;
    if (needs_cache) status = run_extraction(unit, single_rank, /*dry_run=*/true, discard);
    else status.complete = true;  // nothing to extract

    char name[32];
    std::snprintf(name, sizeof name, "unit_%03zu.yaml", i);
    SlurmUnit u;
    u.model_path = model;
    u.config_file = (fs::path(graph.out_dir) / "units" / name).string();
    u.cache_entry = status.entry.dir;
    u.complete = status.complete;
    write_file(u.config_file,
               "# bertology slurm unit " + std::to_string(i) + ": model " + model + "\n" + unit_config.dump(), false);
    all.push_back(u.config_file);
    if (!u.complete) pending.push_back(u.config_file);
    graph.units.push_back(u);
  }

  write_array_scripts(graph, params, pending, all, fs::absolute(binary).string());
  return graph;
}

SubmittedGraph submit_slurm_graph(const SlurmGraph& graph) {
  SubmittedGraph ids;
  if (!graph.extract_script.empty()) ids.extract_job = sbatch({"sbatch", "--parsable", graph.extract_script});
  std::vector<std::string> args = {"sbatch", "--parsable"};
  if (!ids.extract_job.empty()) {
    // afterok on the whole array; if extraction fails, the stages are cancelled rather than left
    // pending forever (independently of the site's DependencyParameters).
    args.push_back("--dependency=afterok:" + ids.extract_job);
    args.push_back("--kill-on-invalid-dep=yes");
  }
  args.push_back(graph.stages_script);
  ids.stages_job = sbatch(args);
  if (!graph.compare_script.empty())
    ids.compare_job = sbatch({"sbatch", "--parsable", "--dependency=afterok:" + ids.stages_job, "--kill-on-invalid-dep=yes",
                              graph.compare_script});
  nlohmann::json j = {{"extract_job", ids.extract_job}, {"stages_job", ids.stages_job},
                      {"extract_script", graph.extract_script}, {"stages_script", graph.stages_script},
                      {"compare_job", ids.compare_job}, {"compare_script", graph.compare_script}};
  write_file_atomic((fs::path(graph.out_dir) / "submitted.json").string(), j.dump(1) + "\n");
  return ids;
}

}  // namespace bertology
