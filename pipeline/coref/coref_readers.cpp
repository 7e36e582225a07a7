// Readers for GUM-style CoNLL-U and CoNLL-2012 coreference files: brackets to mentions, one
// document at a time. coref_document.h documents the formats and the checks; the mention head
// and type rules the readers apply are in mention_rules.cpp.
#include "pipeline/coref/coref_document.h"

#include <algorithm>
#include <filesystem>
#include <charconv>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/text.h"

namespace bertology {
namespace {

// ---- line helpers ------------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& path, int64_t line, const std::string& what) {
  throw InputError(cat(path, ":", line, ": ", what));
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// A non-negative decimal int made of digits only; false otherwise (sign, spaces, overflow).
bool parse_int(std::string_view s, int* value) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return false;
  const auto result = std::from_chars(s.data(), s.data() + s.size(), *value);
  return result.ec == std::errc() && result.ptr == s.data() + s.size();
}

std::string origin(const std::string& path, int64_t line) { return cat(path, ":", line); }

// ---- brackets to mentions ----------------------------------------------------------------------

/// Pairs the bracket opens and closes of one document into mentions.
class MentionBuilder {
 public:
  explicit MentionBuilder(const std::string& path) : path_(path) {}

  void open(int entity, int word, int64_t line) { open_.push_back({entity, word, line}); }

  void single(int entity, int word) { mentions_.push_back(make(entity, word, word + 1)); }

  // The most recent open mention of the entity: nested mentions of one entity close innermost
  // first, as the bracket notation implies.
  void close(int entity, int word, int64_t line) {
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      if (it->entity != entity) continue;
      mentions_.push_back(make(entity, it->start, word + 1));
      open_.erase(std::next(it).base());
      return;
    }
    fail(path_, line, cat("'", entity, ")' closes a mention of entity ", entity,
                          " that is not open"));
  }

  /// The mentions, unsorted; an error names the first mention still open.
  std::vector<Mention> finish() {
    if (!open_.empty()) {
      const Open& o = open_.front();
      fail(path_, o.line, cat("mention of entity ", o.entity, " opened here is never closed (no '",
                              o.entity, ")' before the end of the document)"));
    }
    std::vector<Mention> out;
    out.swap(mentions_);  // leaves the builder empty for the next document
    return out;
  }

 private:
  struct Open {
    int entity;
    int start;
    int64_t line;
  };

  static Mention make(int entity, int start, int end) {
    Mention m;
    m.start = start;
    m.end = end;
    m.entity = entity;
    return m;
  }

  const std::string& path_;
  std::vector<Open> open_;
  std::vector<Mention> mentions_;
};

/// Sorts the mentions and gives each its head and type, now that all words and heads are known.
void attach_mentions(std::vector<Mention> mentions, CorefDocument* doc) {
  std::sort(mentions.begin(), mentions.end(), [](const Mention& a, const Mention& b) {
    return std::tie(a.start, a.end, a.entity) < std::tie(b.start, b.end, b.entity);
  });
  for (Mention& m : mentions) {
    m.head = mention_head(*doc, m.start, m.end);
    m.type = mention_type(*doc, m.head);
  }
  doc->mentions = std::move(mentions);
}

// ---- what both readers share ------------------------------------------------------------------

/// The documents read so far and the one being assembled, for both formats.
class DocumentReader {
 protected:
  DocumentReader(const std::string& path, std::string_view data) : path_(path), data_(data), builder_(path) {}

  [[noreturn]] void fail_here(const std::string& what) const { fail(path_, line_, what); }

  /// Closes the open document: its mentions attached, it joins docs_.
  void finish_document() {
    doc_open_ = false;
    if (doc_.words.empty()) fail(path_, doc_line_, cat("document '", doc_.id, "' has no words"));
    attach_mentions(builder_.finish(), &doc_);
    docs_.push_back(std::move(doc_));
  }

  const std::string& path_;
  std::string_view data_;
  std::vector<CorefDocument> docs_;
  int64_t line_ = 0;

  bool doc_open_ = false;
  CorefDocument doc_;
  int64_t doc_line_ = 0;  ///< the line that began it ("# newdoc" / "#begin document")
  MentionBuilder builder_;
};

// ---- GUM-style CoNLL-U -------------------------------------------------------------------------

class GumReader : DocumentReader {
 public:
  GumReader(const std::string& path, std::string_view data) : DocumentReader(path, data) {}

  std::vector<CorefDocument> read() {
    LineSplitter lines(data_);
    std::string_view line;
    while (lines.next(&line)) {
      line_ = lines.line_number();
      if (is_blank(line)) {
        end_sentence();
      } else if (line[0] == '#') {
        comment(line);
      } else {
        word_line(line);
      }
    }
    end_document();
    return std::move(docs_);
  }

 private:
  enum Column { kId = 0, kForm, kLemma, kUpos, kXpos, kFeats, kHead, kDeprel, kDeps, kMisc };

  // Only "# newdoc" matters: it starts a document ("# newdoc id = X"; without an id the
  // document is named by its origin).
  void comment(std::string_view line) {
    const std::string_view body = trim(line.substr(1));
    if (!starts_with(body, "newdoc")) return;
    end_document();
    std::string_view id;
    const std::string_view rest = trim(body.substr(6));
    if (starts_with(rest, "id") && trim(rest.substr(2)).substr(0, 1) == "=") {
      id = trim(trim(rest.substr(2)).substr(1));
    }
    doc_open_ = true;
    doc_ = CorefDocument();
    doc_.origin = origin(path_, line_);
    doc_.id = id.empty() ? doc_.origin : std::string(id);
    doc_line_ = line_;
  }

  void word_line(std::string_view line) {
    if (!doc_open_) {
      fail_here("word line before the first '# newdoc id = ...' comment (each GUM-style "
                "document starts with one)");
    }
    const std::vector<std::string_view> col = split(line, '\t');
    if (col.size() != 10) {
      fail_here(cat("expected 10 tab-separated columns (CoNLL-U), found ", col.size()));
    }
    if (col[kId].find_first_of("-.") != std::string_view::npos) {
      check_skipped_id(col[kId]);
      return;  // multiword range or empty node: not a word of the basic tree
    }
    int id = 0;
    if (!parse_int(col[kId], &id)) fail_here(cat("ID must be an integer, found '", col[kId], "'"));
    if (!sentence_open_) start_sentence();
    const int expected = static_cast<int>(doc_.words.size()) - sentence_start_ + 1;
    if (id != expected) {
      fail_here(cat("word ID ", id, " where ", expected,
                    " was expected (IDs count 1, 2, 3, ... in each sentence)"));
    }
    if (col[kForm].empty()) fail_here(cat("empty FORM for word ", id));

    int head = -1;  // sentence-local and 1-based until the sentence ends
    if (col[kHead] != "_" && !parse_int(col[kHead], &head)) {
      fail_here(cat("HEAD must be a word ID (0 for the root) or '_', found '", col[kHead], "'"));
    }
    entity_brackets(entity_field(col[kMisc]), static_cast<int>(doc_.words.size()));
    doc_.words.emplace_back(col[kForm]);
    doc_.upos.emplace_back(col[kUpos]);
    doc_.xpos.emplace_back(col[kXpos]);
    doc_.heads.push_back(head);
    word_lines_.push_back(line_);
  }

  void check_skipped_id(std::string_view id) const {
    const size_t sep = id.find_first_of("-.");
    int a = 0, b = 0;
    if (!parse_int(id.substr(0, sep), &a) || !parse_int(id.substr(sep + 1), &b)) {
      fail_here(cat("ID must be an integer, a range like 3-4 or a decimal like 8.1, found '", id,
                    "'"));
    }
  }

  static std::string_view entity_field(std::string_view misc) {
    for (std::string_view item : split(misc, '|')) {
      if (starts_with(item, "Entity=")) return item.substr(7);
    }
    return {};
  }

  // "(12-person-...": open; "(12-abstract-...)": one word; "12)": close. An open's attributes
  // run to the next bracket, so ')' there ends a one-word mention and '(' starts the next item.
  void entity_brackets(std::string_view value, int word) {
    size_t pos = 0;
    while (pos < value.size()) {
      const bool opens = value[pos] == '(';
      if (opens) ++pos;
      const size_t digits_end = std::min(value.find_first_not_of("0123456789", pos), value.size());
      int entity = 0;
      if (!parse_int(value.substr(pos, digits_end - pos), &entity)) {
        fail_here(cat("Entity='", value, "': expected an entity number at character ", pos + 1));
      }
      pos = digits_end;
      if (!opens) {
        if (pos >= value.size() || value[pos] != ')') {
          fail_here(cat("Entity='", value, "': expected ')' after entity number ", entity));
        }
        builder_.close(entity, word, line_);
        ++pos;
        continue;
      }
      const size_t next = value.find_first_of("()", pos);
      if (next != std::string_view::npos && value[next] == ')') {
        builder_.single(entity, word);
        pos = next + 1;
      } else {
        builder_.open(entity, word, line_);
        pos = std::min(next, value.size());
      }
    }
  }

  void start_sentence() {
    sentence_open_ = true;
    sentence_start_ = static_cast<int>(doc_.words.size());
    doc_.sentence_starts.push_back(sentence_start_);
    word_lines_.clear();
  }

  // HEAD can only be checked once the sentence's length is known.
  void end_sentence() {
    if (!sentence_open_) return;
    sentence_open_ = false;
    const int n = static_cast<int>(doc_.words.size()) - sentence_start_;
    for (int i = 0; i < n; ++i) {
      int& head = doc_.heads[sentence_start_ + i];
      if (head > n) {
        fail(path_, word_lines_[i],
             cat("HEAD ", head, " out of range (sentence has ", n, " words)"));
      }
      head = head <= 0 ? -1 : sentence_start_ + head - 1;
    }
  }

  void end_document() {
    end_sentence();
    if (doc_open_) finish_document();
  }

  bool sentence_open_ = false;
  int sentence_start_ = 0;           ///< document index of the open sentence's first word
  std::vector<int64_t> word_lines_;  ///< line of each word of the open sentence
};

// ---- CoNLL-2012 --------------------------------------------------------------------------------

class Conll2012Reader : DocumentReader {
 public:
  Conll2012Reader(const std::string& path, std::string_view data) : DocumentReader(path, data) {}

  std::vector<CorefDocument> read() {
    LineSplitter lines(data_);
    std::string_view line;
    while (lines.next(&line)) {
      line_ = lines.line_number();
      if (starts_with(line, "#begin document")) {
        begin_document(line);
      } else if (starts_with(line, "#end document")) {
        end_document();
      } else if (is_blank(line)) {
        sentence_length_ = -1;
      } else if (line[0] != '#') {  // other '#' lines carry nothing we use
        token_line(line);
      }
    }
    if (doc_open_) {
      fail(path_, doc_line_, cat("document '", doc_.id, "' begun here has no '#end document'"));
    }
    return std::move(docs_);
  }

 private:
  // "#begin document (NAME); part P" (the id rule is in the header).
  void begin_document(std::string_view line) {
    if (doc_open_) {
      fail_here(cat("'#begin document' inside document '", doc_.id, "' begun on line ", doc_line_,
                    " (missing '#end document')"));
    }
    std::string_view rest = trim(line.substr(15));
    std::string_view name = rest.substr(0, rest.find(';'));
    if (starts_with(name, "(") && ends_with(name, ")")) name = name.substr(1, name.size() - 2);
    std::string_view part;
    if (const size_t p = rest.find("part"); p != std::string_view::npos) {
      part = trim(rest.substr(p + 4));
    }
    doc_open_ = true;
    doc_ = CorefDocument();
    doc_.origin = origin(path_, line_);
    doc_.id = name.empty() ? doc_.origin : std::string(name);
    if (!part.empty() && part.find_first_not_of('0') != std::string_view::npos) {
      doc_.id += cat("_part", part);
    }
    doc_line_ = line_;
    sentence_length_ = -1;
  }

  void token_line(std::string_view line) {
    if (!doc_open_) fail_here("token line outside '#begin document' ... '#end document'");
    // LitBank separates columns by tabs; OntoNotes aligns them with runs of spaces.
    const std::vector<std::string_view> col =
        line.find('\t') != std::string_view::npos ? split(line, '\t') : split_whitespace(line, " ");
    if (col.size() < 12) {
      fail_here(cat("expected at least 12 columns (CoNLL-2012: tab- or space-separated), found ",
                    col.size()));
    }
    if (sentence_length_ < 0) {
      sentence_length_ = 0;
      doc_.sentence_starts.push_back(static_cast<int>(doc_.words.size()));
    }
    int index = 0;
    if (!parse_int(col[2], &index) || index != sentence_length_) {
      fail_here(cat("token index (column 3) '", col[2], "' where ", sentence_length_,
                    " was expected (indices count 0, 1, 2, ... in each sentence)"));
    }
    if (col[3].empty()) fail_here("empty word (column 4)");
    coref_field(col.back(), static_cast<int>(doc_.words.size()));
    doc_.words.emplace_back(col[3]);
    doc_.upos.emplace_back("_");
    doc_.xpos.emplace_back(col[4]);
    doc_.heads.push_back(-1);
    ++sentence_length_;
  }

  void coref_field(std::string_view field, int word) {
    if (field.empty() || field == "_" || field == "-") return;
    for (std::string_view item : split(field, '|')) {
      const bool opens = starts_with(item, "(");
      const bool closes = ends_with(item, ")") && item.size() > (opens ? 1u : 0u);
      int entity = 0;
      const std::string_view digits = item.substr(opens, item.size() - opens - closes);
      if (!(opens || closes) || !parse_int(digits, &entity)) {
        fail_here(cat("coreference field '", field, "': expected items '(N)', '(N' or 'N)' ",
                      "joined by '|', found '", item, "'"));
      }
      if (opens && closes) {
        builder_.single(entity, word);
      } else if (opens) {
        builder_.open(entity, word, line_);
      } else {
        builder_.close(entity, word, line_);
      }
    }
  }

  void end_document() {
    if (!doc_open_) fail_here("'#end document' without a '#begin document' before it");
    finish_document();
  }

  int sentence_length_ = -1;  ///< words so far in the current sentence, -1 before its first
};

// ---- format choice -----------------------------------------------------------------------------

enum class CorefFormat { kGum, kConll2012 };

CorefFormat detect_format(const std::string& path, std::string_view data) {
  if (ends_with(path, ".conllu")) return CorefFormat::kGum;
  // ".conll" (LitBank), "_conll" (OntoNotes ".gold_conll", ".v4_gold_conll").
  if (ends_with(path, ".conll") || ends_with(path, "_conll")) return CorefFormat::kConll2012;
  LineSplitter lines(data);
  std::string_view line;
  while (lines.next(&line) && is_blank(line)) {
  }
  if (starts_with(line, "#begin document")) return CorefFormat::kConll2012;
  throw InputError(cat(path, ": unknown coreference format (expected GUM-style CoNLL-U named "
                             "*.conllu, or CoNLL-2012 named *.conll / *_conll or starting with "
                             "'#begin document')"));
}

}  // namespace

std::vector<std::string> coref_corpus_files(const std::vector<std::string>& paths, const std::string& key) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    BTL_REQUIRE(fs::exists(p), key, ": ", p, ": no such file or folder");
    if (!fs::is_directory(p)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& e : fs::directory_iterator(p)) {
      const std::string name = e.path().filename().string();
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".conll" || ext == ".conllu" ||
                                  (name.size() > 11 && name.substr(name.size() - 11) == "_gold_conll")))
        inside.push_back(e.path().string());
    }
    BTL_REQUIRE(!inside.empty(), key, ": ", p, ": no .conll, .gold_conll or .conllu files in this folder");
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

std::vector<CorefDocument> read_coref_documents(const std::string& path) {
  const std::string bytes = read_text_file(path, "a coreference file");  // byte-order mark dropped
  const std::string_view data = bytes;

  std::vector<CorefDocument> docs = detect_format(path, data) == CorefFormat::kGum
                                        ? GumReader(path, data).read()
                                        : Conll2012Reader(path, data).read();
  BTL_REQUIRE(!docs.empty(), path, ": no documents (GUM-style files start each with '# newdoc id "
              "= ...', CoNLL-2012 files with '#begin document')");
  const bool any_mention = std::any_of(docs.begin(), docs.end(),
                                       [](const CorefDocument& d) { return !d.mentions.empty(); });
  BTL_REQUIRE(any_mention, path, ": no coreference mentions (expected 'Entity=' in the MISC ",
              "column of GUM-style CoNLL-U, or brackets in CoNLL-2012's last column)");
  return docs;
}

}  // namespace bertology
