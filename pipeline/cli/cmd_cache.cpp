// bertology cache ls | verify | gc: look after the activation cache.
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cli/command.h"
#include "pipeline/cli/command_config.h"
#include "pipeline/util/error.h"
#include "pipeline/util/exit_codes.h"
#include "pipeline/util/human_bytes.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace bertology {

namespace {

int cache_ls(const std::string& root) {
  const auto entries = list_cache(root);
  if (entries.empty()) {
    std::cout << "no cache entries under " << root << "\n";
    return kExitOk;
  }
  std::printf("%-16s  %-10s  %-9s  %10s  %10s  %s\n", "entry", "status", "chunks", "wordpieces", "size", "what");
  for (const auto& s : entries) {
    const auto& k = s.key;
    std::string what = cat("model ", k.model_sha256.substr(0, 8), ", corpus ", k.corpus_sha256.substr(0, 8), " (",
                           k.corpus_format, "), layers ", k.selection.layers.size(), ", ", k.dtype);
    if (k.selection.attention) what += cat(", attention ", k.selection.attention_layers.size(), "x", k.selection.attention_heads.size());
    if (k.selection.word_pooling != "none") what += ", words " + k.selection.word_pooling;
    if (k.pairs) what += ", pairs";
    std::printf("%-16s  %-10s  %4lld/%-4lld  %10lld  %10s  %s\n", fs::path(s.entry.dir).filename().c_str(),
                s.complete ? (s.superseded_by.empty() ? "complete" : "superseded") : "partial", static_cast<long long>(s.chunks_done),
                static_cast<long long>(s.chunks_total), static_cast<long long>(s.tokens), human_bytes(s.bytes).c_str(),
                what.c_str());
  }
  return kExitOk;
}

int cache_verify(const std::string& root) {
  int64_t checked = 0, bad = 0;
  for (const auto& s : list_cache(root)) {
    for (int64_t i = 0; i < s.chunks_total; ++i) {
      auto record = read_chunk_record(s.entry, i);
      if (!record) continue;
      ++checked;
      std::string problem;
      if (!verify_chunk(s.entry, *record, true, &problem)) {
        ++bad;
        std::cout << "CORRUPT " << s.entry.chunk_file(i) << ": " << problem << "\n";
      }
    }
  }
  std::cout << checked << " finished chunks checked, " << bad << " corrupt"
            << (bad ? " (the next extract/run recomputes them)" : "") << "\n";
  return bad ? kExitCorrupt : kExitOk;
}

int cache_gc(const std::string& root, bool dry_run) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    std::cout << "no cache under " << root << "\n";
    return kExitOk;
  }
  uintmax_t freed = 0;
  int64_t removed = 0;
  for (const CacheLeftover& leftover : cache_leftovers(root)) {
    const auto size = fs::is_regular_file(leftover.path) ? fs::file_size(leftover.path, ec) : 0;
    std::cout << (dry_run ? "would remove " : "removed ") << leftover.path << " (" << leftover.why << ")\n";
    if (!dry_run) fs::remove(leftover.path, ec);
    freed += size;
    ++removed;
  }
  // Entries a union entry supersedes: nothing reads them any more (stages record the request, not
  // the entry that served it).
  int64_t entries = 0;
  for (const auto& s : list_cache(root)) {
    if (s.superseded_by.empty()) continue;
    std::cout << (dry_run ? "would remove " : "removed ") << s.entry.dir << "/ (superseded by " << s.superseded_by << ")\n";
    if (!dry_run) {
      fs::remove(s.entry.manifest_file(), ec);  // first: a half-removed entry never looks complete
      fs::remove_all(s.entry.dir, ec);
    }
    freed += s.bytes;
    ++entries;
  }
  std::cout << removed << " files, " << entries << " superseded entries, " << human_bytes(static_cast<double>(freed))
            << (dry_run ? " would be freed" : " freed") << "\n";
  return kExitOk;
}

}  // namespace

int cmd_cache(const std::vector<std::string>& args) {
  const char* usage = "ls|verify|gc [CONFIG...] [--set cache.dir=DIR] [--dry-run (gc)]";
  if (args.empty() || (args[0] != "ls" && args[0] != "verify" && args[0] != "gc")) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << "usage: bertology cache " << usage
                << "\n\n  ls      list cache entries (status, chunks, size, what they hold)\n"
                   "  verify  re-hash every finished chunk; exit 3 when any is corrupt\n"
                   "  gc      remove leftovers of interrupted runs (temporary files, unrecorded chunks) and\n"
                   "          entries superseded by a union entry of the same forward pass\n";
      return kExitOk;
    }
    throw InputError(cat("cache: expected ls, verify or gc (bertology cache --help)"));
  }
  ConfigArgs config_args;
  bool dry_run = false;
  po::options_description desc("cache options");
  desc.add_options()("config", po::value<std::vector<std::string>>(&config_args.files), "YAML config files (positional)")
      ("dry-run", po::bool_switch(&dry_run), "gc: only list what would be removed");
  add_config_options(desc, config_args);
  po::variables_map vm;
  if (!parse_command_line("cache " + args[0], {args.begin() + 1, args.end()}, desc, "config", usage, vm)) return kExitOk;
  const Params params = load_params(config_args, nullptr, {});
  if (config_args.dump) return kExitOk;
  if (args[0] == "ls") return cache_ls(params.cache.dir);
  if (args[0] == "verify") return cache_verify(params.cache.dir);
  return cache_gc(params.cache.dir, dry_run);
}

}  // namespace bertology
