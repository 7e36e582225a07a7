// Format names, read_corpus() dispatch, and the file and line helpers the readers share.
#include "pipeline/corpus/corpus.h"

#include <charconv>
#include <limits>

#include "pipeline/corpus/readers.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"

namespace bertology {

namespace {

struct FormatName {
  CorpusFormat format;
  const char* name;
};

// The spellings of config key `corpus.format` (pipeline/config/schema.cpp lists the same).
constexpr FormatName kFormatNames[] = {
    {CorpusFormat::Conllu, "conllu"},         {CorpusFormat::Conllx, "conllx"},
    {CorpusFormat::OpenSesame, "open_sesame"}, {CorpusFormat::PlainText, "text"},
    {CorpusFormat::JsonLines, "jsonl"},       {CorpusFormat::Ptb, "ptb"},
};

/// The formats whose reader parses the one buffer read_corpus() read and hashed.
void read_one_file(CorpusFormat format, const corpus_internal::ReaderInput& in, Corpus* corpus) {
  namespace ci = corpus_internal;
  switch (format) {
    case CorpusFormat::Conllu: corpus->sentences = ci::read_conll(in, /*conllx=*/false); break;
    case CorpusFormat::Conllx: corpus->sentences = ci::read_conll(in, /*conllx=*/true); break;
    case CorpusFormat::OpenSesame: corpus->sentences = ci::read_open_sesame(in); break;
    case CorpusFormat::PlainText: corpus->sentences = ci::read_plain_text(in); break;
    case CorpusFormat::JsonLines: corpus->sentences = ci::read_jsonl(in); break;
    case CorpusFormat::Ptb: throw InternalError("ptb is not a single-file format");
  }
}

}  // namespace

CorpusFormat parse_corpus_format(const std::string& name) {
  for (const auto& f : kFormatNames) {
    if (name == f.name) return f.format;
  }
  throw InputError(cat("unknown corpus format '", name,
                       "' (expected conllu, conllx, open_sesame, text, jsonl or ptb)"));
}

const char* corpus_format_name(CorpusFormat format) {
  for (const auto& f : kFormatNames) {
    if (format == f.format) return f.name;
  }
  throw InternalError(cat("corpus format ", static_cast<int>(format), " has no name"));
}

Corpus read_corpus(const std::string& path, CorpusFormat format, int64_t max_sentences) {
  namespace ci = corpus_internal;
  Corpus corpus;
  corpus.path = path;
  corpus.format = format;

  const int64_t limit = max_sentences > 0 ? max_sentences : std::numeric_limits<int64_t>::max();
  if (format == CorpusFormat::Ptb) {
    // A PTB corpus may span many files: the reader expands the path and hashes what it reads.
    corpus.sentences = ci::read_ptb(path, limit, &corpus.content_sha256);
  } else {
    // One read: the hash and the parse see the same bytes, even if the file changes meanwhile.
    const std::string bytes = read_file_bytes(path, "a corpus file");
    corpus.content_sha256 = sha256_hex(bytes.data(), bytes.size());
    read_one_file(format, ci::ReaderInput{path, strip_utf8_bom(bytes), limit}, &corpus);
  }
  BTL_REQUIRE(!corpus.sentences.empty(), path, ": empty corpus (no sentences)");
  for (size_t i = 0; i < corpus.sentences.size(); ++i) {
    corpus.sentences[i].index = static_cast<int64_t>(i);
  }
  return corpus;
}

namespace corpus_internal {

bool parse_index(std::string_view s, int64_t* value) {
  // from_chars alone would accept a leading '-'; insist on digits only.
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return false;
  const auto result = std::from_chars(s.data(), s.data() + s.size(), *value);
  return result.ec == std::errc() && result.ptr == s.data() + s.size();
}

std::string origin(const std::string& path, int64_t line) {
  std::string out;
  out.reserve(path.size() + 12);
  out += path;
  out += ':';
  out += std::to_string(line);
  return out;
}

void fail(const std::string& path, int64_t line, const std::string& what) {
  throw InputError(cat(path, ":", line, ": ", what));
}

}  // namespace corpus_internal
}  // namespace bertology
