// bertology view: an attention viewer page (one self-contained HTML file) from the cache entry of
// a config, or from a `bertology encode` file (pipeline/view/).
//
//   bertology view configs/studies/clark2019.yaml --sentences 0,5,12 --out view.html
//   bertology view configs/studies/clark2019.yaml --grep "the dog" --word-level --out view.html
//   bertology view --encoded out.h5 --out view.html
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "pipeline/analysis/clark_section.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/cache/extract.h"
#include "pipeline/cli/command.h"
#include "pipeline/cli/command_config.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/view/view_sources.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace bertology {

namespace {

/// "0,5,12" -> {0, 5, 12}; InputError naming --sentences otherwise.
std::vector<int64_t> parse_indices(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    BTL_REQUIRE(used == item.size() && !item.empty(), "--sentences: \"", item,
                "\" is not a sentence index (expected e.g. 0,5,12)");
    out.push_back(v);
  }
  BTL_REQUIRE(!out.empty(), "--sentences: no index given (expected e.g. 0,5,12)");
  return out;
}

}  // namespace

int cmd_view(const std::vector<std::string>& args) {
  ConfigArgs config_args;
  std::string sentences, encoded, out_path, results_dir, title;
  ViewSelection selection;
  po::options_description desc("view options");
  desc.add_options()
      ("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional): view their cache entry")
      ("encoded", po::value<std::string>(&encoded), "view a `bertology encode` HDF5 file instead of a cache entry")
      ("sentences", po::value<std::string>(&sentences), "comma-separated 0-based sentence indices (encode: input lines)")
      ("grep", po::value<std::string>(&selection.grep), "the sentences whose text contains TEXT")
      ("max-sentences", po::value<int64_t>(&selection.max_sentences)->default_value(10), "at most N sentences from --grep or the start")
      ("word-level", po::bool_switch(&selection.word_level), "Clark et al.'s word-level maps instead of wordpieces")
      ("results", po::value<std::string>(&results_dir), "stage results of this model (default <study.output_dir>/<model>) for the head notes")
      ("title", po::value<std::string>(&title), "page heading")
      ("out", po::value<std::string>(&out_path), "the HTML file to write (required)");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("view", args, desc, "config",
                          "CONFIG... [--sentences 0,5,12 | --grep TEXT] [--word-level] --out PAGE.html\n"
                          "       bertology view --encoded FILE.h5 [--sentences ...] [--word-level] --out PAGE.html",
                          vm))
    return kExitOk;
  BTL_REQUIRE(!out_path.empty() || config_args.dump, "--out: the page to write is required (e.g. --out view.html)");
  BTL_REQUIRE(sentences.empty() || selection.grep.empty(), "--sentences and --grep: give one of them");
  if (!sentences.empty()) selection.sentences = parse_indices(sentences);
  BTL_REQUIRE(results_dir.empty() || fs::is_directory(results_dir), "--results: ", results_dir,
              " is not a folder (expected <study.output_dir>/<model> with the stages' folders)");

  ViewPage page;
  if (!encoded.empty()) {
    BTL_REQUIRE(config_args.files.empty(), "--encoded: give either CONFIG files or --encoded FILE, not both");
    page = view_from_encode_file(encoded, selection);
    if (!results_dir.empty()) page.notes = head_notes_from_dir(results_dir), page.notes_source = results_dir;
  } else {
    BTL_REQUIRE(!config_args.files.empty(), "view: give CONFIG files (their cache entry) or --encoded FILE.h5");
    const Params params = load_params(config_args, nullptr, {"model.path", "corpus.path"});
    if (config_args.dump) return kExitOk;
    selection.word_from = clark_section().of(params).word_from == "first" ? WordFrom::First : WordFrom::Mean;
    MpiContext mpi;
    std::ostringstream quiet;
    const ExtractionOutcome where = run_extraction(params, mpi, /*dry_run=*/true, quiet, nullptr, /*quiet_dry_run=*/true);
    BTL_REQUIRE(where.complete && fs::exists(where.entry.manifest_file()), where.entry.dir,
                ": the cache entry of this config is not complete (", where.chunks_done_before, " of ",
                where.chunks_total, " chunks); run `bertology run` or `bertology extract` on it first");
    const CacheReader reader = CacheReader::open(where.entry);
    page = view_from_cache(reader, BertTokenizer::from_model_dir(params.model.path), selection);
    page.model = fs::path(params.model.path).filename().string();
    if (results_dir.empty() && fs::is_directory(model_output_dir(params))) results_dir = model_output_dir(params);
    if (!results_dir.empty()) page.notes = head_notes_from_dir(results_dir), page.notes_source = results_dir;
  }
  page.title = title.empty() ? cat("Attention: ", page.model) : title;
  write_file_atomic(out_path, render_view_html(page));
  std::cout << "wrote " << out_path << " (" << page.sentences.size() << " sentences, " << page.layers.size()
            << " layers x " << page.heads.size() << " heads, " << page.level << " level, "
            << fs::file_size(out_path) << " bytes)\n";
  return kExitOk;
}

}  // namespace bertology
