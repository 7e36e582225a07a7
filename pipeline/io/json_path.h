// Reading a JSON document (nlohmann::json) with errors that name the file and the key path of the
// offending value, so a user can find it in a large file: "FILE: key [3][1][0].answer: what".
//
// A key path is built while descending: json_key_index("", 3) == "[3]", then
// json_key_member("[3]", "answer") == "[3].answer"; the empty path is the document itself and
// reads "top level" in messages. Generic: callers decide what the values mean.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace bertology {

/// Parses the whole text `data` of the file `path`. nlohmann's what() is
/// "[json.exception.parse_error.101] parse error at line 3, column 5: DETAIL"; that becomes the
/// InputError "PATH:3: malformed JSON: DETAIL (column 5)" (without a line: "PATH: malformed JSON
/// at byte N: WHAT").
nlohmann::json parse_json_file(const std::string& path, const std::string& data);

/// The key path of element `i` of the list at `key`: "KEY[i]".
std::string json_key_index(const std::string& key, size_t i);
/// The key path of member `name` of the object at `key`: "KEY.name" ("name" at the top level).
std::string json_key_member(const std::string& key, const char* name);

/// Typed access to a parsed JSON document whose failures are InputErrors naming the file and the
/// key path: "PATH: key KEY: what", or "PATH: top level: what" for the empty key.
class JsonPathReader {
 public:
  explicit JsonPathReader(std::string path) : path_(std::move(path)) {}

  /// Throws "PATH: key KEY: WHAT" ("PATH: top level: WHAT" when `key` is empty).
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  /// `j` (at `key`), which must be a list: "expected a list, found TYPE".
  const nlohmann::json& list(const nlohmann::json& j, const std::string& key) const;

  /// `obj[name]`, which must exist ("KEY.name: missing"); `obj` (at `key`) must be an object
  /// ("expected an object, found TYPE").
  const nlohmann::json& member(const nlohmann::json& obj, const std::string& key,
                               const char* name) const;

  /// `j` (at `key`), which must be a string: "expected a string, found TYPE".
  std::string string(const nlohmann::json& j, const std::string& key) const;

  /// `j` (at `key`), which must be a list of strings (any length).
  std::vector<std::string> strings(const nlohmann::json& j, const std::string& key) const;

 private:
  std::string path_;
};

}  // namespace bertology
