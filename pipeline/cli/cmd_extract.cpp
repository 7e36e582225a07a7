// bertology extract / run: the activation cache, then (run) the stages a config lists.
#include <boost/program_options.hpp>
#include <iostream>

#include "pipeline/cache/extract.h"
#include "pipeline/campaign/campaign.h"
#include "pipeline/cli/command.h"
#include "pipeline/cli/command_config.h"
#include "pipeline/stage/run_stages.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace po = boost::program_options;

namespace bertology {

namespace {

int run_campaign_command(const ConfigArgs& args, const Params& campaign, const std::vector<std::string>& models,
                         bool dry_run, const MpiContext& mpi) {
  std::ostream& out = std::cout;
  CampaignPlan plan = plan_campaign(campaign.campaign.name, campaign_runs(args.files, args.sets, models), mpi);
  plan.output_dir = campaign.campaign.output_dir;
  if (dry_run) {
    print_campaign_plan(plan, mpi, out);
    return kExitOk;
  }
  if (!run_campaign(plan, mpi, out)) {
    if (mpi.rank() == 0)
      std::cerr << "bertology: stopped by signal " << stop_signal_number() << " after flushing finished chunks; "
                << "run the same command again to resume (exit code " << kExitRequeue << " = requeue)\n";
    return kExitRequeue;
  }
  return kExitOk;
}

int extract_or_run(const std::string& command, const std::vector<std::string>& args, bool with_stages) {
  ConfigArgs config_args;
  bool dry_run = false;
  std::vector<std::string> models;
  po::options_description desc(command + " options");
  desc.add_options()
      ("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional, merged in order)")
      ("dry-run", po::bool_switch(&dry_run), "plan only: print chunks, wordpieces and the expected bytes of each dataset");
  if (with_stages)
    desc.add_options()("model", po::value<std::vector<std::string>>(&models),
                       "campaigns: run every study on this model folder (repeatable; overrides sweep.models)");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line(command, args, desc, "config",
                          with_stages ? "CONFIG... [--set KEY=VALUE ...] [--model DIR ...] [--dry-run] [--dump-config]\n"
                                        "  (a config with campaign.studies runs those studies as one campaign)"
                                      : "CONFIG... [--set KEY=VALUE ...] [--dry-run] [--dump-config]",
                          vm))
    return kExitOk;

  install_stop_handlers();
  MpiContext mpi;
  try {
    std::string effective;
    if (with_stages && !config_args.dump) {
      const Params top = load_params(config_args, nullptr, {});
      if (!top.campaign.studies.empty()) return run_campaign_command(config_args, top, models, dry_run, mpi);
      BTL_REQUIRE(models.empty(), "--model: only campaigns take --model (a single study: --set model.path=DIR)");
    }
    const Params without_corpus = load_params(config_args, &effective, {"model.path"});
    if (config_args.dump) return kExitOk;
    // Stage names are checked before hours of extraction, not after.
    if (with_stages) check_stage_names(without_corpus.stages);
    std::ostream& out = std::cout;
    if (with_stages && !stages_need_cache(without_corpus.stages)) {  // e.g. fine-tuning studies: their stages read their own datasets
      if (dry_run) return kExitOk;
      bertology::run_stages(without_corpus, CacheEntry{}, mpi, out);
      return kExitOk;
    }
    const Params params = load_params(config_args, nullptr, {"model.path", "corpus.path"});

    const ExtractionOutcome outcome = run_extraction(params, mpi, dry_run, out);
    if (dry_run) return kExitOk;
    if (outcome.stopped) {
      if (mpi.rank() == 0)
        std::cerr << "bertology: stopped by signal " << stop_signal_number() << " after flushing finished chunks; "
                  << "run the same command again to resume (exit code " << kExitRequeue << " = requeue)\n";
      return kExitRequeue;
    }
    BTL_REQUIRE(outcome.complete, outcome.entry.dir, ": extraction ended with unfinished chunks (see logs/)");
    if (mpi.rank() == 0)
      out << "cache " << outcome.entry.dir << ": complete (" << outcome.chunks_total << " chunks; "
          << (outcome.reused_superset ? "an existing entry covers this request"
              : outcome.chunks_done_before == outcome.chunks_total
                  ? "all were already done"
                  : cat(outcome.chunks_done_before, " were already done, the rest computed now"))
          << ")\n" << std::flush;
    if (!with_stages) return kExitOk;
    bertology::run_stages(params, outcome.entry, mpi, out);
    return kExitOk;
  } catch (const StopRequested&) {
    // Ranks notice a signal at different points of a stage; one that stops must not leave the
    // others waiting in a collective, so under MPI the job ends at once with the requeue code.
    if (mpi.size() > 1) {
      std::cerr << "bertology: stopped by signal " << stop_signal_number() << " during the stages (rank " << mpi.rank()
                << "); run the same command again to resume (exit code " << kExitRequeue << " = requeue)" << std::endl;
      mpi.abort(kExitRequeue);
    }
    if (mpi.rank() == 0)
      std::cerr << "bertology: stopped by signal " << stop_signal_number() << " during the stages; "
                << "run the same command again to resume (exit code " << kExitRequeue << " = requeue)\n";
    return kExitRequeue;
  } catch (const std::exception& e) {
    if (mpi.size() <= 1) throw;
    // One rank failing must not leave the others waiting in a collective.
    const bool input = dynamic_cast<const InputError*>(&e) != nullptr;
    std::string what = e.what();
    std::cerr << "bertology: " << (input ? "error" : "internal error") << " (rank " << mpi.rank() << "): "
              << what.substr(0, what.find('\n')) << std::endl;
    mpi.abort(input ? kExitInput : kExitInternal);
  }
}

}  // namespace

int cmd_extract(const std::vector<std::string>& args) { return extract_or_run("extract", args, false); }
int cmd_run(const std::vector<std::string>& args) { return extract_or_run("run", args, true); }

}  // namespace bertology
