// bertology mcrc: the multiple-choice reading-comprehension data tools of Si et al. (2019) —
// attacked test sets exported as JSON, and the random / longest-option baselines.
//
//   bertology mcrc attack mc160.test.tsv --format mctest --attack all --out attacked/
//   bertology mcrc baselines mc160.test.tsv --format mctest
//
// attack writes OUT/<attack name>.json (the attacked examples: id, passage, question, options,
// answer) and OUT/summary.json (per attack: examples, mean ShuffleDegree, re-shuffles, sequences
// that missed the threshold, option length change), each to a temporary name first.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "pipeline/cli/command.h"
#include "pipeline/mcrc/attacks.h"
#include "pipeline/mcrc/baselines.h"
#include "pipeline/mcrc/mc_readers.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace bertology {

int cmd_mcrc(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string format, attack_names = "all", out_dir;
  uint64_t seed = 2020;
  double min_degree = 0.5;
  po::options_description desc("mcrc options");
  desc.add_options()
      ("args", po::value<std::vector<std::string>>(&positional), "attack|baselines, then the dataset (positional)")
      ("format", po::value<std::string>(&format), "mctest | dream | mcscript | race")
      ("attack", po::value<std::string>(&attack_names)->default_value("all"),
       "attack name (AddSent2Pas-Shuffle, ..., see pipeline/mcrc/attacks.h) or all")
      ("out", po::value<std::string>(&out_dir), "attack: output folder")
      ("seed", po::value<uint64_t>(&seed)->default_value(2020), "attack: seed (Si et al.'s code: 2020)")
      ("min-shuffle-degree", po::value<double>(&min_degree)->default_value(0.5),
       "attack: re-shuffle until ShuffleDegree reaches this");
  po::variables_map vm;
  if (!parse_command_line("mcrc", args, desc, "args",
                          "attack DATASET --format F [--attack NAME|all] --out DIR [--seed N] [--min-shuffle-degree X]\n"
                          "       bertology mcrc baselines DATASET --format F\n\n"
                          "DATASET: an MCTest .tsv (its .ans beside it), a DREAM .json, an MCScript .xml or a RACE folder",
                          vm))
    return kExitOk;
  BTL_REQUIRE(positional.size() == 2 && (positional[0] == "attack" || positional[0] == "baselines"),
              "mcrc: expected `attack DATASET` or `baselines DATASET` (bertology mcrc --help)");
  BTL_REQUIRE(!format.empty(), "mcrc: --format is required (mctest, dream, mcscript or race)");
  const McDataset data = read_mc_dataset(positional[1], format);

  if (positional[0] == "baselines") {
    std::cout << "mcrc baselines: " << data.examples.size() << " questions of " << data.path << "\n"
              << "  random guess   " << random_baseline(data.examples) << " %\n"
              << "  longest option " << longest_baseline(data.examples) << " %\n";
    return kExitOk;
  }
  BTL_REQUIRE(!out_dir.empty(), "mcrc attack: --out DIR is required");
  std::vector<Attack> attacks;
  if (attack_names == "all") attacks = all_attacks();
  else attacks.push_back(parse_attack(attack_names));
  AttackOptions options;
  options.seed = seed;
  options.min_shuffle_degree = min_degree;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  BTL_REQUIRE(!ec, out_dir, ": cannot create (", ec.message(), ")");
  nlohmann::json summary = {{"dataset", data.path}, {"format", format}, {"seed", seed},
                            {"min_shuffle_degree", min_degree}, {"attacks", nlohmann::json::object()}};
  for (Attack a : attacks) {
    AttackSummary s;
    const auto attacked = attack_set(data.examples, a, options, &s);
    write_file_atomic((fs::path(out_dir) / (std::string(attack_name(a)) + ".json")).string(),
                      attacked_set_json(attacked).dump(1) + "\n");
    summary["attacks"][attack_name(a)] = attack_summary_json(s);
    std::cout << "mcrc attack: " << attack_name(a) << ": " << s.examples << " questions, mean ShuffleDegree "
              << s.mean_shuffle_degree << ", option length change " << s.option_length_change << "\n";
  }
  write_file_atomic((fs::path(out_dir) / "summary.json").string(), summary.dump(2) + "\n");
  return kExitOk;
}

}  // namespace bertology
