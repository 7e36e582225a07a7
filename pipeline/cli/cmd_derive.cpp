// bertology derive: the control checkpoints of the papers as ordinary model folders, so that a
// sweep or a campaign can run every study on them (pipeline/model/derived_models.h).
//
//   bertology derive random-init  --model models/all-MiniLM-L6-v2 --out models/minilm-random-init [--seed 1234]
//   bertology derive no-positions --model models/all-MiniLM-L6-v2 --out models/minilm-no-positions
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/model/derived_models.h"
#include "pipeline/util/error.h"
#include "pipeline/util/exit_codes.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace bertology {

int cmd_derive(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string model, out;
  int64_t seed = 1234;
  po::options_description desc("derive options");
  desc.add_options()
      ("what", po::value<std::vector<std::string>>(&positional), "random-init | no-positions (positional)")
      ("model", po::value<std::string>(&model), "the checkpoint folder to derive from")
      ("out", po::value<std::string>(&out), "the new checkpoint folder (left alone when it already holds the model)")
      ("seed", po::value<int64_t>(&seed)->default_value(1234), "random-init: the seed of the re-drawn weights");
  po::variables_map vm;
  if (!parse_command_line("derive", args, desc, "what",
                          "random-init|no-positions --model DIR --out DIR [--seed N]\n\n"
                          "random-init: Clark et al.'s control (embeddings kept, every other weight re-drawn as BERT\n"
                          "initialises it); no-positions: Lin et al.'s control (position embeddings zero)",
                          vm))
    return kExitOk;
  BTL_REQUIRE(positional.size() == 1 && (positional[0] == "random-init" || positional[0] == "no-positions"),
              "derive: give random-init or no-positions (bertology derive --help)");
  BTL_REQUIRE(!model.empty() && fs::is_directory(model), "derive: --model '", model, "' is not a checkpoint folder");
  BTL_REQUIRE(!out.empty(), "derive: --out DIR is required");
  BTL_REQUIRE(seed >= 0, "derive: --seed must not be negative");
  if (positional[0] == "random-init") write_random_init_model(model, out, static_cast<uint64_t>(seed));
  else write_model_without_positions(model, out);
  std::cout << "wrote " << out << " (" << positional[0] << " copy of " << model << ")\n";
  return kExitOk;
}

}  // namespace bertology
