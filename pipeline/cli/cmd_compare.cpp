// bertology compare: several models' (and studies') headline tables side by side
// (pipeline/compare/compare.h).
//
//   bertology compare results/campaigns/clark-probing
//   bertology compare results/clark2019 results/probing --out results/compare.md --title "MiniLM vs BERT"
#include <boost/program_options.hpp>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/compare/compare.h"
#include "pipeline/util/exit_codes.h"

namespace po = boost::program_options;

namespace bertology {

int cmd_compare(const std::vector<std::string>& args) {
  CompareOptions options;
  bool no_figures = false;
  po::options_description desc("compare options");
  desc.add_options()
      ("dirs", po::value<std::vector<std::string>>(&options.dirs), "study or campaign output folders (positional)")
      ("out", po::value<std::string>(&options.out), "compare.md to write (default: DIR/compare.md for one DIR)")
      ("title", po::value<std::string>(&options.title), "heading of compare.md")
      ("no-figures", po::bool_switch(&no_figures), "tables only (no matplotlib figures)");
  po::variables_map vm;
  if (!parse_command_line("compare", args, desc, "dirs", "DIR... [--out FILE.md] [--title TEXT] [--no-figures]", vm))
    return kExitOk;
  options.figures = !no_figures;
  std::cout << "wrote " << write_comparison(options, std::cerr) << "\n";
  return kExitOk;
}

}  // namespace bertology
