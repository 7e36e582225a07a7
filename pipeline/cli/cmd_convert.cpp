// bertology convert ptb2conll: Penn Treebank trees -> CoNLL-X dependencies (basic Stanford
// Dependencies or unlabeled Penn2Malt-style heads), e.g. to build the structural-probe and
// Clark et al. inputs from WSJ:
//
//   bertology convert ptb2conll 'wsj/0[2-9]/*.mrg' wsj/1* --out train.conllx
//
// The output format and its atomic write are corpus/conllx_writer.h's: OUT is never a partial
// conversion.
#include <boost/program_options.hpp>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/corpus/conllx_writer.h"
#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"
#include "pipeline/util/error.h"
#include "pipeline/util/exit_codes.h"
#include "pipeline/util/files.h"

namespace po = boost::program_options;

namespace bertology {

int cmd_convert(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string out_path, style_name = "sd";
  bool vmod = false;
  po::options_description desc("convert options");
  desc.add_options()
      ("args", po::value<std::vector<std::string>>(&positional), "ptb2conll, then the inputs (positional)")
      ("out", po::value<std::string>(&out_path), "output CoNLL-X file (written to a temporary beside it, then renamed)")
      ("style", po::value<std::string>(&style_name)->default_value("sd"),
       "sd: basic Stanford Dependencies; malt: Penn2Malt-style heads, label = parent phrase")
      ("vmod", po::bool_switch(&vmod), "sd: label reduced verbal modifiers vmod (CoreNLP >= 3.3), not partmod/infmod");
  po::variables_map vm;
  if (!parse_command_line("convert", args, desc, "args",
                          "ptb2conll IN... --out OUT.conllx [--style sd|malt] [--vmod]\n\n"
                          "IN: a tree file, a directory (its .mrg files, recursively) or a quoted glob "
                          "pattern such as 'wsj/0[2-9]/*.mrg'",
                          vm))
    return kExitOk;
  BTL_REQUIRE(!positional.empty(), "convert: give a conversion: ptb2conll (bertology convert --help)");
  BTL_REQUIRE(positional[0] == "ptb2conll", "convert: unknown conversion '", positional[0], "' (expected ptb2conll)");
  BTL_REQUIRE(positional.size() >= 2, "convert ptb2conll: give at least one input file, directory or pattern");
  BTL_REQUIRE(!out_path.empty(), "convert ptb2conll: --out OUT.conllx is required");
  DepOptions options;
  options.style = parse_dep_style(style_name);
  options.vmod = vmod;

  std::vector<std::string> files;
  for (size_t i = 1; i < positional.size(); ++i) {
    for (auto& f : ptb_input_files(positional[i])) files.push_back(std::move(f));
  }

  ConllxWriter out(out_path);
  for (const std::string& file : files) {
    // A UTF-8 byte-order mark is not part of the first tree.
    for (const PtbTree& tree : parse_ptb(read_text_file(file, "a Penn Treebank file"), file))
      out.write(ptb_to_dependencies(tree.root, options, tree.origin));
  }
  BTL_REQUIRE(out.sentences() > 0, "convert ptb2conll: the inputs hold no trees");
  out.commit();
  const int64_t trees = out.sentences(), words = out.words();
  std::cout << "convert: " << trees << " trees, " << words << " words from " << files.size()
            << (files.size() == 1 ? " file" : " files") << " -> " << out_path << " (style "
            << dep_style_name(options.style) << ")" << std::endl;
  return kExitOk;
}

}  // namespace bertology
