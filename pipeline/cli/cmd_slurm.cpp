// bertology slurm: render a study (or a sweep over models) into an sbatch job graph; submit it.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/config/config.h"
#include "pipeline/slurm/slurm_jobs.h"
#include "pipeline/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace bertology {

int cmd_slurm(const std::vector<std::string>& args) {
  ConfigArgs config_args;
  std::vector<std::string> models;
  std::string out_dir;
  bool submit = false, dry_run = false;
  po::options_description desc("slurm options");
  desc.add_options()
      ("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional; site files too)")
      ("model", po::value<std::vector<std::string>>(&models)->composing(),
       "a model folder to sweep over (repeatable; default: sweep.models, else model.path)")
      ("out", po::value<std::string>(&out_dir), "folder for the job scripts, unit configs and logs (default: slurm-jobs/<study.name>)")
      ("submit", po::bool_switch(&submit), "submit the graph with sbatch")
      ("dry-run", po::bool_switch(&dry_run), "render and print the scripts; submit nothing");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("slurm", args, desc, "config",
                          "CONFIG... [--model DIR ...] [--out DIR] [--submit] [--dry-run]", vm))
    return kExitOk;
  BTL_REQUIRE(!(submit && dry_run), "slurm: --submit and --dry-run exclude each other");
  const Config config = Config::load(config_args.files, config_args.sets);
  if (config_args.dump) {
    std::cout << config.dump();
    return kExitOk;
  }
  const bool campaign = !config.get_strings("campaign.studies").empty();
  if (out_dir.empty()) out_dir = "slurm-jobs/" + config.get_string(campaign ? "campaign.name" : "study.name");
  std::string binary = config.get_string("slurm.binary");
  if (binary.empty()) binary = fs::read_symlink("/proc/self/exe").string();

  const SlurmGraph graph = render_slurm_graph(config_args.files, config_args.sets, models, out_dir, binary);
  int complete = 0;
  for (const auto& u : graph.units) complete += u.complete;
  std::cout << "rendered " << graph.units.size() << (graph.campaign ? " extraction" : "") << " unit(s) (" << complete
            << " already complete in the cache)" << (graph.campaign ? cat(" and ", graph.runs.size(), " run(s)") : "")
            << " into " << graph.out_dir << "\n";
  for (const auto& u : graph.units)
    std::cout << "  " << u.config_file << ": " << u.model_path
              << (u.cache_entry.empty() ? " [no extraction: the stages read their own data]" : u.complete ? " [complete]" : "") << "\n";
  for (size_t i = 0; i < graph.runs.size(); ++i) std::cout << "  stages task " << i << ": " << graph.runs[i] << "\n";
  if (dry_run) {
    for (const auto& script : {graph.extract_script, graph.stages_script, graph.compare_script}) {
      if (script.empty()) continue;
      std::cout << "\n==> " << script << " <==\n" << std::ifstream(script).rdbuf();
    }
    return kExitOk;
  }
  if (!submit) {
    std::cout << "submit with: bertology slurm ... --submit   (or sbatch the scripts yourself: stages after extract)\n";
    return kExitOk;
  }
  const SubmittedGraph ids = submit_slurm_graph(graph);
  if (!ids.extract_job.empty()) std::cout << "submitted extraction array " << ids.extract_job << "\n";
  std::cout << "submitted stages array " << ids.stages_job
            << (ids.extract_job.empty() ? "" : " (afterok " + ids.extract_job + ", cancelled if it fails)") << "\n"
            << (ids.compare_job.empty() ? "" : "submitted compare job " + ids.compare_job + " (afterok " + ids.stages_job + ")\n")
            << "follow with: squeue -j " << (ids.extract_job.empty() ? "" : ids.extract_job + ",") << ids.stages_job
            << "   logs: " << graph.out_dir << "/logs/\n";
  return kExitOk;
}

}  // namespace bertology
