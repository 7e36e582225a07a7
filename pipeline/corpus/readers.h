// Internal to pipeline/corpus: the per-format readers behind read_corpus() and the small
// helpers they share (text splitting is util/text.h's). Not part of the public API; include
// corpus.h instead.
//
// Readers parse a buffer that read_corpus() already holds (the same bytes it hashed), never the
// file again, and return sentences in file order with `origin` set; read_corpus() numbers them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/corpus/corpus.h"
#include "pipeline/util/text.h"

namespace bertology {
namespace corpus_internal {

/// What every reader gets.
struct ReaderInput {
  const std::string& path;  ///< the corpus file, for origins and messages
  std::string_view data;    ///< its bytes, without a leading UTF-8 byte-order mark
  int64_t max_sentences;    ///< stop after this many (read_corpus passes INT64_MAX for "all")
};

std::vector<Sentence> read_conll(const ReaderInput& in, bool conllx);  // conllu.cpp
std::vector<Sentence> read_open_sesame(const ReaderInput& in);         // open_sesame.cpp
std::vector<Sentence> read_plain_text(const ReaderInput& in);          // plain_text.cpp
std::vector<Sentence> read_jsonl(const ReaderInput& in);               // jsonl.cpp

/// PTB trees (ptb_corpus.cpp). Unlike the readers above it takes the path itself: `spec` may name
/// a directory or a glob pattern, so it reads (and hashes into `content_sha256`) its own files.
std::vector<Sentence> read_ptb(const std::string& spec, int64_t max_sentences, std::string* content_sha256);

// ---- helpers (corpus.cpp) ----------------------------------------------------------------------

/// Parses a non-negative decimal integer made of digits only (no sign, no spaces). False when
/// `s` is empty, holds anything else, or overflows int64.
bool parse_index(std::string_view s, int64_t* value);

/// "PATH:LINE", the form of `Sentence::origin` and of message prefixes.
std::string origin(const std::string& path, int64_t line);

/// Throws InputError "PATH:LINE: what".
[[noreturn]] void fail(const std::string& path, int64_t line, const std::string& what);

}  // namespace corpus_internal
}  // namespace bertology
