// Open Sesame probing data (Lin, Tan & Frank 2019, "Open Sesame: Getting Inside BERT's Linguistic
// Knowledge"): one sentence per line with 0-based word indices, and an optional parallel FILE.pos
// whose line L tags the words of line L.
//
//   aux, sbjn:       sentence<TAB>target
//   agr, refl, dill: sentence<TAB>target<TAB>subject<TAB>distractors   (distractors may be empty)
//
// The index fields are kept raw in Sentence::fields; they are only validated here, because the
// analyses that use them decide how (e.g. the attention from target to subject words).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/corpus/readers.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {
namespace corpus_internal {
namespace {

// Checks one index field: space-separated word positions in [0, num_words). Runs of spaces and a
// trailing space (as in the agr/refl/dill files) separate nothing and are allowed.
void check_indices(const ReaderInput& in, int64_t line, const char* what, std::string_view field,
                   size_t num_words, bool required) {
  bool any = false;
  for (std::string_view token : split(field, ' ')) {
    if (token.empty()) continue;
    any = true;
    int64_t index = 0;
    if (!parse_index(token, &index)) {
      fail(in.path, line, cat(what, " index '", token, "' is not a non-negative integer"));
    }
    if (index >= static_cast<int64_t>(num_words)) {
      fail(in.path, line, cat(what, " index ", index, " out of range (", num_words, " words)"));
    }
  }
  if (required && !any) fail(in.path, line, cat("empty ", what, " (expected a word index)"));
}

// Splits on single spaces, as the indices count words that way; an empty piece would shift
// every later index, so it is an error rather than something to skip.
std::vector<std::string_view> split_words(const std::string& path, int64_t line,
                                          std::string_view text, const char* what) {
  std::vector<std::string_view> words = split(text, ' ');
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].empty()) {
      fail(path, line, cat("empty ", what, " at position ", i,
                           " (two spaces in a row, or a leading or trailing space)"));
    }
  }
  return words;
}

/// The parallel tag file, if there is one.
struct PosFile {
  std::string path;
  std::string bytes;
  std::vector<std::string_view> lines;  ///< lines[L - 1] is line L
};

bool load_pos_file(const std::string& corpus_path, PosFile* pos) {
  pos->path = corpus_path + ".pos";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(pos->path, ec)) return false;
  pos->bytes = read_file_bytes(pos->path, "a corpus file");
  LineSplitter lines(strip_utf8_bom(pos->bytes));
  std::string_view line;
  while (lines.next(&line)) pos->lines.push_back(line);
  return true;
}

}  // namespace

std::vector<Sentence> read_open_sesame(const ReaderInput& in) {
  PosFile pos;
  const bool has_pos = load_pos_file(in.path, &pos);

  std::vector<Sentence> out;
  LineSplitter lines(in.data);
  std::string_view line;
  bool stopped_early = false;
  while (lines.next(&line)) {
    if (static_cast<int64_t>(out.size()) >= in.max_sentences) {
      stopped_early = true;
      break;
    }
    if (is_blank(line)) continue;
    const int64_t n = lines.line_number();

    const std::vector<std::string_view> fields = split(line, '\t');
    if (fields.size() != 2 && fields.size() != 4) {
      fail(in.path, n, cat("expected 2 tab-separated fields (sentence, target) or 4 (sentence, ",
                           "target, subject, distractors), found ", fields.size()));
    }
    Sentence s;
    s.text.assign(fields[0]);
    for (std::string_view w : split_words(in.path, n, fields[0], "word")) s.words.emplace_back(w);
    const size_t num_words = s.words.size();

    check_indices(in, n, "target", fields[1], num_words, /*required=*/true);
    s.fields["target"].assign(fields[1]);
    if (fields.size() == 4) {
      check_indices(in, n, "subject", fields[2], num_words, /*required=*/false);
      check_indices(in, n, "distractor", fields[3], num_words, /*required=*/false);
      s.fields["subject"].assign(fields[2]);
      s.fields["distractors"].assign(fields[3]);
    }

    if (has_pos) {
      if (n > static_cast<int64_t>(pos.lines.size())) {
        throw InputError(cat(pos.path, ": has ", pos.lines.size(), " lines, but ", in.path,
                             " has a sentence on line ", n, " (the files must be parallel)"));
      }
      const std::string_view tag_field = split(pos.lines[n - 1], '\t')[0];
      if (is_blank(tag_field)) {
        fail(pos.path, n, cat("no tags, expected ", num_words, " (line ", n, " of ", in.path, ")"));
      }
      const std::vector<std::string_view> tags = split_words(pos.path, n, tag_field, "tag");
      if (tags.size() != num_words) {
        fail(pos.path, n, cat(tags.size(), " tags for ", num_words, " words (line ", n, " of ",
                              in.path, ")"));
      }
      s.annotations.resize(num_words);
      for (size_t i = 0; i < num_words; ++i) s.annotations[i].xpos.assign(tags[i]);
    }

    s.pretokenized = true;
    s.origin = origin(in.path, n);
    out.push_back(std::move(s));
  }

  // A longer .pos file means the two are out of step somewhere; blank tail lines are harmless.
  if (has_pos && !stopped_early) {
    for (size_t i = static_cast<size_t>(lines.line_number()); i < pos.lines.size(); ++i) {
      if (!is_blank(pos.lines[i])) {
        fail(pos.path, static_cast<int64_t>(i) + 1,
             cat("extra line (", in.path, " has ", lines.line_number(),
                 " lines; the files must be parallel)"));
      }
    }
  }
  return out;
}

}  // namespace corpus_internal
}  // namespace bertology
