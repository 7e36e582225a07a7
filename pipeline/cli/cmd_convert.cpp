// bertology convert ptb2conll: Penn Treebank trees -> CoNLL-X dependencies (basic Stanford
// Dependencies or unlabeled Penn2Malt-style heads), e.g. to build the structural-probe and
// Clark et al. inputs from WSJ:
//
//   bertology convert ptb2conll 'wsj/0[2-9]/*.mrg' wsj/1* --out train.conllx
//
// Output columns: ID FORM LEMMA(_) CPOSTAG POSTAG FEATS(_) HEAD DEPREL PHEAD(_) PDEPREL(_), the
// PTB tag in both tag columns, a blank line after each sentence. The file is written to OUT.tmp
// and renamed to OUT once complete, so OUT is never a partial conversion.
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "pipeline/cli/command.h"
#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"
#include "pipeline/util/error.h"

namespace po = boost::program_options;

namespace bertology {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BTL_REQUIRE(in.good(), path, ": cannot open (", std::strerror(errno), ")");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InternalError(cat(path, ": read error"));
  // A UTF-8 byte-order mark is not part of the first tree.
  if (data.compare(0, 3, "\xEF\xBB\xBF") == 0) data.erase(0, 3);
  return data;
}

/// Deletes the temporary output unless the conversion got to rename it.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

}  // namespace

int cmd_convert(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string out_path, style_name = "sd";
  bool vmod = false;
  po::options_description desc("convert options");
  desc.add_options()
      ("args", po::value<std::vector<std::string>>(&positional), "ptb2conll, then the inputs (positional)")
      ("out", po::value<std::string>(&out_path), "output CoNLL-X file (written to OUT.tmp, then renamed)")
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

  const std::string tmp_path = out_path + ".tmp";
  TempFile tmp_guard(tmp_path);
  std::ofstream out(tmp_path, std::ios::binary | std::ios::trunc);
  BTL_REQUIRE(out.good(), tmp_path, ": cannot create (", std::strerror(errno), ")");
  int64_t trees = 0, words = 0;
  std::string buffer;
  for (const std::string& file : files) {
    for (const PtbTree& tree : parse_ptb(slurp(file), file)) {
      const std::vector<DepToken> deps = ptb_to_dependencies(tree.root, options, tree.origin);
      for (size_t i = 0; i < deps.size(); ++i) {
        const DepToken& d = deps[i];
        buffer += cat(i + 1, "\t", d.word, "\t_\t", d.tag, "\t", d.tag, "\t_\t", d.head, "\t", d.deprel, "\t_\t_\n");
      }
      buffer += '\n';
      ++trees;
      words += static_cast<int64_t>(deps.size());
      if (buffer.size() > (1 << 20)) {
        out << buffer;
        buffer.clear();
      }
    }
  }
  out << buffer;
  out.close();
  if (!out) throw InternalError(cat(tmp_path, ": write failed (disk full?)"));
  BTL_REQUIRE(trees > 0, "convert ptb2conll: the inputs hold no trees");
  std::error_code ec;
  std::filesystem::rename(tmp_path, out_path, ec);
  if (ec) throw InternalError(cat("cannot rename ", tmp_path, " to ", out_path, " (", ec.message(), ")"));
  tmp_guard.release();
  std::cout << "convert: " << trees << " trees, " << words << " words from " << files.size()
            << (files.size() == 1 ? " file" : " files") << " -> " << out_path << " (style "
            << dep_style_name(options.style) << ")" << std::endl;
  return kExitOk;
}

}  // namespace bertology
