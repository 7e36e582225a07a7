#include "pipeline/analysis/stage_extraction.h"

#include <filesystem>
#include <ostream>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/util/sha256.h"

#include "pipeline/cache/extract.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {

CacheEntry extract_for_stage(const Params& variant, const StageContext& ctx, const std::string& why) {
  if (ctx.mpi.rank() == 0) ctx.out << why << ": activations of " << variant.corpus.path << "\n" << std::flush;
  const ExtractionOutcome outcome = run_extraction(variant, ctx.mpi, false, ctx.out);
  if (outcome.stopped) throw StopRequested{};
  BTL_REQUIRE(outcome.complete, outcome.entry.dir, ": extraction for ", why, " ended with unfinished chunks (see logs/)");
  return outcome.entry;
}

std::string stage_corpus_file(const StageContext& ctx, const std::string& stem, const std::string& extension,
                              const std::string& content) {
  namespace fs = std::filesystem;
  const std::string path = (fs::path(ctx.params.cache.dir) / "corpora" /
                            cat(stem, "-", sha256_hex(content.data(), content.size()).substr(0, 16), extension)).string();
  if (ctx.mpi.rank() == 0 && !fs::exists(path)) {
    fs::create_directories(fs::path(path).parent_path());
    write_text_atomic(path, content);
  }
  ctx.mpi.barrier();
  return path;
}

}  // namespace bertology
