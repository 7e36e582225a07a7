// CoNLL-U (Universal Dependencies, https://universaldependencies.org/format.html) and CoNLL-X
// (CoNLL 2006 shared task) readers.
//
// Both have a line of 10 tab-separated columns per word and a blank line after each sentence.
// They differ in columns 4-5 (UPOS/XPOS vs CPOSTAG/POSTAG, stored alike), columns 9-10 (DEPS/MISC
// vs PHEAD/PDEPREL) and in CoNLL-U's extra line kinds: "#" comments, multiword-token ranges and
// empty nodes. corpus.h lists what is kept and checked.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/corpus/readers.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace corpus_internal {
namespace {

constexpr int kColumns = 10;
enum Column { kId = 0, kForm, kLemma, kUpos, kXpos, kFeats, kHead, kDeprel, kDeps, kMisc };

enum class IdKind { kWord, kRange, kEmptyNode, kMalformed };

// "7" is a word, "3-4" a multiword-token range (its words follow on their own lines), "8.1" an
// empty node of the enhanced graph; basic-tree readers skip the last two.
IdKind classify_id(std::string_view id, int64_t* word_id) {
  const size_t sep = id.find_first_of("-.");
  if (sep == std::string_view::npos) {
    return parse_index(id, word_id) ? IdKind::kWord : IdKind::kMalformed;
  }
  int64_t a = 0, b = 0;
  if (!parse_index(id.substr(0, sep), &a) || !parse_index(id.substr(sep + 1), &b)) {
    return IdKind::kMalformed;
  }
  return id[sep] == '-' ? IdKind::kRange : IdKind::kEmptyNode;
}

class ConllReader {
 public:
  ConllReader(const ReaderInput& in, bool conllx) : in_(in), conllx_(conllx) {}

  std::vector<Sentence> read() {
    LineSplitter lines(in_.data);
    std::string_view line;
    while (static_cast<int64_t>(out_.size()) < in_.max_sentences && lines.next(&line)) {
      line_ = lines.line_number();
      if (is_blank(line)) {
        finish();
        continue;
      }
      if (!open_) start();
      if (line[0] == '#') {
        comment(line);
      } else {
        word_line(line);
      }
    }
    // The last sentence needs no blank line after it. (When the limit stopped the loop, the
    // sentence that reached it has just been closed, so nothing is open.)
    finish();
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail_here(const std::string& what) const { fail(in_.path, line_, what); }

  void start() {
    open_ = true;
    first_line_ = line_;
    pending_ = Sentence();
    heads_.clear();
    word_lines_.clear();
    unspecified_heads_ = 0;
  }

  // "# key = value"; "# text = ..." is the sentence text, the rest are fields. Comments without
  // "=" ("# newpar", free text) carry nothing we use.
  void comment(std::string_view line) {
    const std::string_view body = line.substr(1);
    const size_t eq = body.find('=');
    if (eq == std::string_view::npos) return;
    const std::string_view key = trim(body.substr(0, eq));
    const std::string_view value = trim(body.substr(eq + 1));
    if (key.empty()) return;
    if (key == "text") {
      pending_.text.assign(value);
    } else {
      pending_.fields[std::string(key)].assign(value);
    }
  }

  void word_line(std::string_view line) {
    std::array<std::string_view, kColumns> col;
    int found = 0;
    for (size_t start = 0;;) {
      const size_t tab = line.find('\t', start);
      const std::string_view piece =
          line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
      if (found < kColumns) col[found] = piece;
      ++found;
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (found != kColumns) {
      const bool spaces = found == 1 && line.find(' ') != std::string_view::npos;
      fail_here(cat("expected 10 tab-separated columns, found ", found,
                    spaces ? " (columns must be separated by tabs, not spaces)" : ""));
    }

    int64_t id = 0;
    switch (classify_id(col[kId], &id)) {
      case IdKind::kWord:
        break;
      case IdKind::kRange:
      case IdKind::kEmptyNode:
        if (conllx_) {
          fail_here(cat("ID '", col[kId], "' is a CoNLL-U multiword range or empty node; ",
                        "CoNLL-X IDs are integers (is this a CoNLL-U file? corpus.format: conllu)"));
        }
        return;  // not a word of the basic tree
      case IdKind::kMalformed:
        fail_here(cat("ID must be an integer, a range like 3-4 or a decimal like 8.1, found '",
                      col[kId], "'"));
    }
    const int64_t expected = static_cast<int64_t>(pending_.words.size()) + 1;
    if (id != expected) {
      const char* hint = id == 1 ? "; is the blank line before this sentence missing?" : "";
      fail_here(cat("word ID ", id, " where ", expected,
                    " was expected (IDs count 1, 2, 3, ... in each sentence", hint, ")"));
    }
    if (col[kForm].empty()) fail_here(cat("empty FORM for word ", id));

    int64_t head = -1;
    if (col[kHead] == "_") {
      ++unspecified_heads_;
    } else if (!parse_index(col[kHead], &head)) {
      fail_here(cat("HEAD must be a word ID (0 for the root) or '_', found '", col[kHead], "'"));
    }

    pending_.words.emplace_back(col[kForm]);
    WordAnnotation a;
    a.lemma.assign(col[kLemma]);
    a.upos.assign(col[kUpos]);
    a.xpos.assign(col[kXpos]);
    a.deprel.assign(col[kDeprel]);
    if (!conllx_) a.misc.assign(col[kMisc]);
    pending_.annotations.push_back(std::move(a));
    heads_.push_back(head);
    word_lines_.push_back(line_);
  }

  // Closes the open sentence, if any: the checks that need the whole sentence, then output.
  void finish() {
    if (!open_) return;
    open_ = false;
    const int64_t n = static_cast<int64_t>(pending_.words.size());
    if (n == 0) {
      fail(in_.path, first_line_,
           "sentence has no words (only comments, multiword-token ranges or empty nodes)");
    }
    if (unspecified_heads_ > 0 && unspecified_heads_ < n) {
      for (int64_t i = 0; i < n; ++i) {
        if (heads_[i] < 0) {
          fail(in_.path, word_lines_[i],
               "HEAD '_' while other words of the sentence have heads (a tree must be complete "
               "or absent)");
        }
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      if (heads_[i] > n) {
        fail(in_.path, word_lines_[i],
             cat("HEAD ", heads_[i], " out of range (sentence has ", n, " words)"));
      }
      pending_.annotations[i].head = static_cast<int>(heads_[i]);
    }
    pending_.pretokenized = true;
    pending_.origin = origin(in_.path, first_line_);
    out_.push_back(std::move(pending_));
  }

  const ReaderInput& in_;
  const bool conllx_;
  std::vector<Sentence> out_;

  int64_t line_ = 0;              ///< current line number
  bool open_ = false;             ///< a sentence has started and not yet been closed
  int64_t first_line_ = 0;        ///< its first line (comment or word)
  Sentence pending_;              ///< the sentence being read
  std::vector<int64_t> heads_;    ///< HEAD per word, -1 for "_"; checked once n is known
  std::vector<int64_t> word_lines_;  ///< line of each word, for messages about it
  int64_t unspecified_heads_ = 0;    ///< words with HEAD "_"
};

}  // namespace

std::vector<Sentence> read_conll(const ReaderInput& in, bool conllx) {
  return ConllReader(in, conllx).read();
}

}  // namespace corpus_internal
}  // namespace bertology
