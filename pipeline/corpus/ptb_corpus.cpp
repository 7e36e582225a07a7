// Corpus format `ptb`: Penn Treebank trees from a file, a directory or a glob pattern, converted
// to basic Stanford Dependencies so that PTB corpora carry heads and relations like CoNLL ones.
#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"
#include "pipeline/corpus/readers.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"

namespace bertology {

namespace fs = std::filesystem;

namespace {

/// Every regular file ending in ".mrg" below `dir`, at any depth (WSJ: wsj/00/wsj_0001.mrg ...).
void add_mrg_files(const std::string& dir, std::vector<std::string>* out) {
  std::error_code ec;
  const size_t before = out->size();
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".mrg") out->push_back(it->path().string());
  }
  BTL_REQUIRE(!ec, dir, ": cannot list the directory (", ec.message(), ")");
  BTL_REQUIRE(out->size() > before, dir, ": no .mrg files in this directory or below it");
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

/// The directory that holds all of `files` (their longest common parent), so names in the hash
/// do not depend on where the corpus lies.
fs::path common_parent(const std::vector<std::string>& files) {
  fs::path common = fs::path(files.front()).parent_path();
  for (const auto& f : files) {
    const fs::path parent = fs::path(f).parent_path();
    fs::path shared;
    auto a = common.begin(), b = parent.begin();
    for (; a != common.end() && b != parent.end() && *a == *b; ++a, ++b) shared /= *a;
    common = shared;
  }
  return common;
}

}  // namespace

std::vector<std::string> ptb_input_files(const std::string& spec) {
  std::vector<std::string> files;
  std::error_code ec;
  const fs::file_status status = fs::status(spec, ec);
  if (fs::is_regular_file(status)) {
    files.push_back(spec);
  } else if (fs::is_directory(status)) {
    add_mrg_files(spec, &files);
  } else if (fs::exists(status)) {
    throw InputError(cat(spec, ": not a regular file or directory"));
  } else if (has_glob_chars(spec)) {
    glob_t matches{};
    const int rc = glob(spec.c_str(), GLOB_ERR, nullptr, &matches);
    std::unique_ptr<glob_t, void (*)(glob_t*)> release(&matches, &globfree);
    BTL_REQUIRE(rc != GLOB_NOMATCH, spec, ": no file matches this pattern");
    BTL_REQUIRE(rc == 0, spec, ": cannot expand the pattern (unreadable directory?)");
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      const std::string path = matches.gl_pathv[i];
      if (fs::is_directory(path, ec)) {
        add_mrg_files(path, &files);
      } else if (fs::is_regular_file(path, ec)) {
        files.push_back(path);
      }
    }
    BTL_REQUIRE(!files.empty(), spec, ": the pattern matches no regular file");
  } else {
    throw InputError(cat(spec, ": no such file"));
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

namespace corpus_internal {

std::vector<Sentence> read_ptb(const std::string& spec, int64_t max_sentences, std::string* content_sha256) {
  const std::vector<std::string> files = ptb_input_files(spec);
  const fs::path base = common_parent(files);
  Sha256 hash;
  std::vector<Sentence> sentences;
  for (const std::string& file : files) {
    const std::string bytes = read_file_bytes(file, "a corpus file");
    if (files.size() == 1) {
      // One file hashes like every other format: its bytes.
      hash.update(bytes.data(), bytes.size());
    } else {
      const std::string header = cat(fs::path(file).lexically_relative(base).generic_string(), "\n", bytes.size(), "\n");
      hash.update(header.data(), header.size());
      hash.update(bytes.data(), bytes.size());
    }
    const int64_t room = max_sentences - static_cast<int64_t>(sentences.size());
    if (room <= 0) continue;  // keep hashing: the hash names the whole input
    for (const PtbTree& tree : parse_ptb(strip_utf8_bom(bytes), file, room)) {
      const std::vector<DepToken> deps = ptb_to_dependencies(tree.root, DepOptions{}, tree.origin);
      Sentence s;
      s.origin = tree.origin;
      s.words.reserve(deps.size());
      s.annotations.resize(deps.size());
      for (size_t i = 0; i < deps.size(); ++i) {
        s.words.push_back(deps[i].word);
        WordAnnotation& a = s.annotations[i];
        a.upos = deps[i].tag;
        a.xpos = deps[i].tag;
        a.head = deps[i].head;
        a.deprel = deps[i].deprel;
      }
      sentences.push_back(std::move(s));
    }
  }
  *content_sha256 = hash.final_hex();
  return sentences;
}

}  // namespace corpus_internal
}  // namespace bertology
