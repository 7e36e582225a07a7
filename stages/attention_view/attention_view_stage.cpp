// Stage `attention_view`: the attention viewer page (pipeline/view/) of a few sentences of the
// run's cache entry, written as <study.output_dir>/<model>/view.html, each head annotated with
// what attention_patterns, dependency_heads and head_clusters measured when they ran before it.
#include <filesystem>
#include <memory>
#include <ostream>

#include "pipeline/analysis/clark_section.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/config/config_section.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/view/view_sources.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

/// Section `view`: which sentences the page shows.
struct ViewParams {
  std::vector<int64_t> sentences;
  bool word_level = false;
};

const ConfigSection<ViewParams>& view_section() {
  static const ConfigSection<ViewParams> section("view", "attention_view stage (the viewer page)", {
      field(&ViewParams::sentences,
            ints_key("sentences", {}, 0, kUnbounded,
                     "attention_view: 0-based corpus sentences shown in view.html (a few: ~L*H*n^2 bytes each; "
                     "empty = the first three in the cache entry).")),
      field(&ViewParams::word_level,
            bool_key("word_level", false, "attention_view: Clark's word-level maps instead of wordpieces.")),
  });
  return section;
}

void run_attention_view(StageContext& ctx) {
  const ViewParams& params = view_section().of(ctx.params);
  const CacheEntry& entry = ctx.cache();
  // Head notes from the Clark stages that ran before this one (recorded as inputs).
  std::unique_ptr<CsvFile> patterns, heads, relations, embedding;
  if (ctx.stage_ran("attention_patterns")) patterns = std::make_unique<CsvFile>(ctx.read_table(kAttentionPatterns));
  if (ctx.stage_ran("dependency_heads")) {
    heads = std::make_unique<CsvFile>(ctx.read_table(kDependencyHeadScores));
    relations = std::make_unique<CsvFile>(ctx.read_table(kDependencyRelations));
  }
  if (ctx.stage_ran("head_clusters")) embedding = std::make_unique<CsvFile>(ctx.read_table(kHeadEmbedding));
  StageOutput out = ctx.begin_output({{"page_template_sha256", view_page_template_sha256()}});
  if (out.up_to_date()) return;
  if (ctx.mpi.rank() != 0) return;  // rank 0 writes the page and the record

  ViewSelection selection;
  selection.sentences = params.sentences;
  selection.max_sentences = 3;  // with no list: the first three the entry holds
  selection.word_level = params.word_level;
  selection.word_from = clark_section().of(ctx.params).word_from == "first" ? WordFrom::First : WordFrom::Mean;
  selection.origin = "view.sentences";
  const CacheReader reader = CacheReader::open(entry);
  ViewPage page = view_from_cache(reader, BertTokenizer::from_model_dir(ctx.params.model.path), selection);
  page.model = fs::path(ctx.params.model.path).filename().string();
  page.title = cat(ctx.params.study.name, ": attention of ", page.model);
  page.notes = head_notes(patterns.get(), heads.get(), relations.get(), embedding.get());
  page.source = cat("cache entry ", fs::path(entry.dir).filename().string());
  page.notes_source = "the stage folders beside this page";
  const std::string path = (fs::path(ctx.model_dir()) / "view.html").string();
  const std::string html = render_view_html(page);
  write_file_atomic(path, html);
  out.finish({{"page", "view.html"}, {"page_bytes", html.size()}, {"sentences", page.sentences.size()},
              {"level", page.level}, {"annotated_heads", page.notes.size()}});
  ctx.out << "attention_view: " << path << " (open it in a browser)\n" << std::flush;
}

const StageRegistration registration{
    {"attention_view", "The attention viewer page of a few sentences (view.html), heads annotated with the stages' measures",
     run_attention_view, {&view_section(), &clark_section()}}};

}  // namespace
}  // namespace bertology
