// Internal to pipeline/corpus: the per-format readers behind read_corpus() and the small text
// helpers they share. Not part of the public API; include corpus.h instead.
//
// Readers parse a buffer that read_corpus() already holds (the same bytes it hashed), never the
// file again, and return sentences in file order with `origin` set; read_corpus() numbers them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/corpus/corpus.h"

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

/// The whole file at `path`. InputError "PATH: no such file" when it does not exist, and an
/// InputError naming PATH for a directory or a file that cannot be opened; InternalError on a
/// read error.
std::string read_file(const std::string& path);

/// `data` without a leading UTF-8 byte-order mark (some Windows editors write one).
std::string_view skip_bom(std::string_view data);

/// Walks an in-memory file line by line without copying. "\n" ends a line and is not part of
/// it; a "\r" just before it is dropped too, so Windows files read like Unix ones; a last line
/// without "\n" still counts, and a final "\n" does not start an extra empty line.
class LineSplitter {
 public:
  explicit LineSplitter(std::string_view data) : data_(data) {}

  /// Sets `*line` to the next line; false at the end of the data.
  bool next(std::string_view* line);

  /// 1-based number of the line next() returned last (0 before the first call).
  int64_t line_number() const { return line_number_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int64_t line_number_ = 0;
};

/// True when `line` is empty or holds only spaces and tabs.
bool is_blank(std::string_view line);

/// `s` without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

/// The pieces of `s` between `sep` characters, empty pieces included ("a  b" -> "a", "", "b").
std::vector<std::string_view> split(std::string_view s, char sep);

/// Parses a non-negative decimal integer made of digits only (no sign, no spaces). False when
/// `s` is empty, holds anything else, or overflows int64.
bool parse_index(std::string_view s, int64_t* value);

/// "PATH:LINE", the form of `Sentence::origin` and of message prefixes.
std::string origin(const std::string& path, int64_t line);

/// Throws InputError "PATH:LINE: what".
[[noreturn]] void fail(const std::string& path, int64_t line, const std::string& what);

}  // namespace corpus_internal
}  // namespace bertology
