// JSON lines: one object per line, {"words": [...]} (pre-tokenized) or {"text": "..."}, plus any
// string or number metadata, which becomes per-sentence fields. corpus.h has the exact rules.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/corpus/readers.h"
#include "pipeline/util/error.h"

namespace bertology {
namespace corpus_internal {
namespace {

using nlohmann::json;

constexpr const char* kExpected = "expected \"words\" (list of strings) or \"text\" (string)";

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 5: DETAIL";
// the line is always 1 here (one document per line), so keep DETAIL and the column.
std::string describe(const json::parse_error& e) {
  const std::string what = e.what();
  const size_t column = what.find("column ");
  const size_t colon = column == std::string::npos ? std::string::npos : what.find(": ", column);
  if (colon == std::string::npos) return what;
  return cat(what.substr(colon + 2), " (column ", e.byte, ")");
}

}  // namespace

std::vector<Sentence> read_jsonl(const ReaderInput& in) {
  std::vector<Sentence> out;
  LineSplitter lines(in.data);
  std::string_view line;
  while (static_cast<int64_t>(out.size()) < in.max_sentences && lines.next(&line)) {
    if (is_blank(line)) continue;
    const int64_t n = lines.line_number();

    json j;
    try {
      j = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& e) {
      fail(in.path, n, cat("malformed JSON: ", describe(e)));
    } catch (const json::exception& e) {  // e.g. out_of_range.406: a number too large for a double
      fail(in.path, n, cat("malformed JSON: ", e.what()));
    }
    if (!j.is_object()) fail(in.path, n, cat("expected a JSON object, found ", j.type_name()));

    Sentence s;
    const auto words = j.find("words");
    const auto text = j.find("text");
    if (text != j.end()) {
      if (!text->is_string()) fail(in.path, n, cat(kExpected, "; \"text\" is ", text->type_name()));
      s.text = text->get<std::string>();
    }
    if (words != j.end()) {
      if (!words->is_array()) {
        fail(in.path, n, cat(kExpected, "; \"words\" is ", words->type_name()));
      }
      if (words->empty()) fail(in.path, n, "\"words\" is an empty list");
      for (size_t i = 0; i < words->size(); ++i) {
        const json& w = (*words)[i];
        if (!w.is_string()) {
          fail(in.path, n, cat(kExpected, "; \"words\"[", i, "] is ", w.type_name()));
        }
        s.words.push_back(w.get<std::string>());
        if (s.words.back().empty()) fail(in.path, n, cat("\"words\"[", i, "] is an empty string"));
      }
      s.pretokenized = true;
    } else if (text != j.end()) {
      if (is_blank(s.text)) fail(in.path, n, "\"text\" is blank");
      s.pretokenized = false;
    } else {
      fail(in.path, n, kExpected);
    }

    for (const auto& [key, value] : j.items()) {
      if (key == "words" || key == "text") continue;
      if (value.is_string()) {
        s.fields[key] = value.get<std::string>();
      } else if (value.is_number()) {
        s.fields[key] = value.dump();
      }  // bool, null, lists, objects: not per-sentence fields; ignored
    }
    s.origin = origin(in.path, n);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace corpus_internal
}  // namespace bertology
