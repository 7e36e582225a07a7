// JSON documents with key-path errors. See json_path.h.
#include "pipeline/io/json_path.h"

#include <cstdio>

#include "pipeline/util/error.h"

namespace bertology {

using nlohmann::json;

json parse_json_file(const std::string& path, const std::string& data) {
  try {
    return json::parse(data);
  } catch (const json::parse_error& e) {
    const std::string what = e.what();
    const size_t at = what.find("at line ");
    long line = 0, column = 0;
    if (at != std::string::npos &&
        std::sscanf(what.c_str() + at, "at line %ld, column %ld", &line, &column) == 2) {
      const size_t colon = what.find(": ", at);
      throw InputError(cat(path, ":", line, ": malformed JSON: ", what.substr(colon + 2),
                           " (column ", column, ")"));
    }
    throw InputError(cat(path, ": malformed JSON at byte ", e.byte, ": ", what));
  } catch (const json::exception& e) {  // e.g. out_of_range.406, a number too large for a double
    throw InputError(cat(path, ": malformed JSON: ", e.what()));
  }
}

std::string json_key_index(const std::string& key, size_t i) { return cat(key, "[", i, "]"); }

std::string json_key_member(const std::string& key, const char* name) {
  return key.empty() ? std::string(name) : cat(key, ".", name);
}

void JsonPathReader::fail(const std::string& key, const std::string& what) const {
  if (key.empty()) throw InputError(cat(path_, ": top level: ", what));
  throw InputError(cat(path_, ": key ", key, ": ", what));
}

const json& JsonPathReader::list(const json& j, const std::string& key) const {
  if (!j.is_array()) fail(key, cat("expected a list, found ", j.type_name()));
  return j;
}

const json& JsonPathReader::member(const json& obj, const std::string& key,
                                   const char* name) const {
  if (!obj.is_object()) fail(key, cat("expected an object, found ", obj.type_name()));
  const auto it = obj.find(name);
  if (it == obj.end()) fail(json_key_member(key, name), "missing");
  return *it;
}

std::string JsonPathReader::string(const json& j, const std::string& key) const {
  if (!j.is_string()) fail(key, cat("expected a string, found ", j.type_name()));
  return j.get<std::string>();
}

std::vector<std::string> JsonPathReader::strings(const json& j, const std::string& key) const {
  list(j, key);
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) out.push_back(string(j[i], json_key_index(key, i)));
  return out;
}

}  // namespace bertology
