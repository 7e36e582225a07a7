// Schemas: row builders, validation of single values against a row, suggestions and listings.
// The table of the core keys is in schema_table.cpp.
#include "pipeline/config/schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "pipeline/util/error.h"

namespace bertology {


// ---------------------------------------------------------------------------------------------
// Row builders.

namespace {

template <typename T>
std::optional<Value> to_default(const Default<T>& def) {
  if (!def.value) return std::nullopt;
  return Value(*def.value);
}

KeySpec make_key(std::string key, KeyType type, std::optional<Value> def, std::string doc) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_value = std::move(def);
  spec.doc = std::move(doc);
  return spec;
}

}  // namespace

KeySpec string_key(std::string key, Default<std::string> def, std::string doc) {
  return make_key(std::move(key), KeyType::String, to_default(def), std::move(doc));
}

KeySpec int_key(std::string key, Default<int64_t> def, std::optional<double> min,
                std::optional<double> max, std::string doc) {
  KeySpec spec = make_key(std::move(key), KeyType::Int, to_default(def), std::move(doc));
  spec.min = min;
  spec.max = max;
  return spec;
}

KeySpec float_key(std::string key, Default<double> def, std::optional<double> min,
                  std::optional<double> max, std::string doc) {
  KeySpec spec = make_key(std::move(key), KeyType::Float, to_default(def), std::move(doc));
  spec.min = min;
  spec.max = max;
  return spec;
}

KeySpec bool_key(std::string key, Default<bool> def, std::string doc) {
  return make_key(std::move(key), KeyType::Bool, to_default(def), std::move(doc));
}

KeySpec path_key(std::string key, Default<std::string> def, std::string doc) {
  return make_key(std::move(key), KeyType::Path, to_default(def), std::move(doc));
}

KeySpec file_key(std::string key, Default<std::string> def, std::string doc) {
  return make_key(std::move(key), KeyType::ExistingFile, to_default(def), std::move(doc));
}

KeySpec dir_key(std::string key, Default<std::string> def, std::string doc) {
  return make_key(std::move(key), KeyType::ExistingDir, to_default(def), std::move(doc));
}

KeySpec enum_key(std::string key, std::vector<std::string> choices, Default<std::string> def,
                 std::string doc) {
  KeySpec spec = make_key(std::move(key), KeyType::Enum, to_default(def), std::move(doc));
  spec.choices = std::move(choices);
  return spec;
}

KeySpec strings_key(std::string key, Default<std::vector<std::string>> def, std::string doc) {
  return make_key(std::move(key), KeyType::StringList, to_default(def), std::move(doc));
}

KeySpec paths_key(std::string key, Default<std::vector<std::string>> def, std::string doc) {
  return make_key(std::move(key), KeyType::PathList, to_default(def), std::move(doc));
}

KeySpec ints_key(std::string key, Default<std::vector<int64_t>> def, std::optional<double> min,
                 std::optional<double> max, std::string doc) {
  KeySpec spec = make_key(std::move(key), KeyType::IntList, to_default(def), std::move(doc));
  spec.min = min;
  spec.max = max;
  return spec;
}

bool is_path_type(KeyType type) {
  return type == KeyType::Path || type == KeyType::ExistingFile || type == KeyType::ExistingDir;
}

// ---------------------------------------------------------------------------------------------
// Text forms.

namespace {

// Shortest text that reads back as the same double (std::to_chars is locale-independent), with
// ".0" added to integral values so that a dumped float still looks like one.
std::string format_double(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string text(buf, res.ptr);
  if (std::isfinite(v) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// Bounds are stored as double; print integral ones without a fraction ("1", not "1.0").
std::string format_bound(double v) {
  if (std::nearbyint(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return format_double(v);
}

std::string range_description(const KeySpec& spec) {
  if (spec.min && spec.max) return cat(" in [", format_bound(*spec.min), ", ", format_bound(*spec.max), "]");
  if (spec.min) return cat(" >= ", format_bound(*spec.min));
  if (spec.max) return cat(" <= ", format_bound(*spec.max));
  return "";
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// Strings are shown bare unless that would hide something (empty, surrounding spaces).
std::string show_string(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return cat('"', s, '"');
  return s;
}

}  // namespace

std::string type_description(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::String: return "string";
    case KeyType::Int: return "int" + range_description(spec);
    case KeyType::Float: return "float" + range_description(spec);
    case KeyType::Bool: return "bool";
    case KeyType::Path: return "path";
    case KeyType::ExistingFile: return "path to an existing file";
    case KeyType::ExistingDir: return "path to an existing directory";
    case KeyType::Enum: return "one of " + join(spec.choices, "|");
    case KeyType::StringList: return "list of strings";
    case KeyType::PathList: return "list of paths";
    case KeyType::IntList: {
      std::string range = range_description(spec);
      return range.empty() ? "list of ints" : "list of ints, each" + range;
    }
  }
  return "?";
}

std::string value_to_string(const Value& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return show_string(s); }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_double(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::vector<std::string>& v) const {
      std::vector<std::string> items;
      for (const auto& s : v) items.push_back(show_string(s));
      return "[" + join(items, ", ") + "]";
    }
    std::string operator()(const std::vector<int64_t>& v) const {
      std::vector<std::string> items;
      for (int64_t x : v) items.push_back(std::to_string(x));
      return "[" + join(items, ", ") + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment over three rows of the DP table (the swap needs row i-2).
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// ---------------------------------------------------------------------------------------------
// Value checks shared by parsing and by the schema's check of its own defaults.

namespace {

// The variant alternative each key type holds; a hand-built KeySpec with a default of the wrong
// alternative is a bug in the table.
size_t alternative_of(KeyType type) {
  switch (type) {
    case KeyType::Int: return 1;
    case KeyType::Float: return 2;
    case KeyType::Bool: return 3;
    case KeyType::StringList:
    case KeyType::PathList: return 4;
    case KeyType::IntList: return 5;
    default: return 0;
  }
}

bool in_range(const KeySpec& spec, double v) {
  return (!spec.min || v >= *spec.min) && (!spec.max || v <= *spec.max);
}

std::string int_range_violation(const KeySpec& spec, int64_t v) {
  if (in_range(spec, static_cast<double>(v))) return "";
  return cat("expected int", range_description(spec), ", got ", v);
}

}  // namespace

std::string check_value(const KeySpec& spec, const Value& value) {
  if (value.index() != alternative_of(spec.type))
    return cat("holds ", value_to_string(value), ", which is not a ", type_description(spec));
  switch (spec.type) {
    case KeyType::Int: return int_range_violation(spec, std::get<int64_t>(value));
    case KeyType::Float: {
      double v = std::get<double>(value);
      if (std::isfinite(v) && in_range(spec, v)) return "";
      return cat("expected ", type_description(spec), ", got ", format_double(v));
    }
    case KeyType::Enum: {
      const auto& s = std::get<std::string>(value);
      for (const auto& c : spec.choices) {
        if (c == s) return "";
        // A choice "name:N" admits name, a colon and a non-negative index ("cuda:N": cuda:0, cuda:3).
        const size_t stem = c.size() - 1;
        if (c.size() > 2 && c.compare(stem - 1, 2, ":N") == 0 && s.size() > stem && s.compare(0, stem, c, 0, stem) == 0 &&
            s.find_first_not_of("0123456789", stem) == std::string::npos && s.size() - stem <= 4)
          return "";
      }
      // The message lists every choice, which helps more than a guess ("gpu" is closest to "cpu").
      return cat("expected ", type_description(spec), ", got '", s, "'");
    }
    case KeyType::Path:
    case KeyType::ExistingFile:
    case KeyType::ExistingDir:
      // An empty default means "unset" (e.g. corpus.path outside extract); commands that need the
      // path say so. Empty values from files or --set are rejected when parsed.
      return "";
    case KeyType::IntList: {
      const auto& v = std::get<std::vector<int64_t>>(value);
      for (size_t i = 0; i < v.size(); ++i) {
        std::string why = int_range_violation(spec, v[i]);
        if (!why.empty()) return cat("[", i, "]: ", why);
      }
      return "";
    }
    default: return "";
  }
}

std::string resolve_path(const std::string& path, const std::string& base_dir) {
  namespace fs = std::filesystem;
  if (path.empty()) return path;  // "" means "not set" (e.g. corpus.path outside extract)
  fs::path p(path);
  if (p.is_relative()) p = (base_dir.empty() ? fs::current_path() : fs::path(base_dir)) / p;
  std::string out = p.lexically_normal().string();
  // "a/b/" normalises to "a/b/"; drop the separator so equal paths compare equal.
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing of YAML nodes.

namespace {

// yaml-cpp marks quoted scalars with the non-specific tag "!"; plain ones with "?". A quoted or
// !!str scalar is a string even when it looks like a number: `threads: "4"` is a type error.
bool is_string_tagged(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

[[noreturn]] void reject(const YAML::Node& node, const std::string& message,
                         const std::string& item = "") {
  YAML::Mark mark = node.Mark();
  throw ValueError(message, mark.line, mark.column, item);
}

[[noreturn]] void reject_type(const YAML::Node& node, const std::string& expected,
                              const std::string& item = "") {
  reject(node, cat("expected ", expected, ", got ", describe_node(node)), item);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Plain decimal integer: [-+]?[0-9]+. Hex, octal and YAML 1.1 forms ("1_000") are not accepted.
int64_t parse_int(const KeySpec& spec, const YAML::Node& node, const std::string& item) {
  if (!node.IsScalar() || is_string_tagged(node)) reject_type(node, "int", item);
  std::string_view text = node.Scalar();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (!all_digits(digits)) reject_type(node, "int", item);
  int64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec == std::errc::result_out_of_range)
    reject(node, cat("'", node.Scalar(), "' does not fit a 64-bit int"), item);
  std::string why = int_range_violation(spec, v);
  if (!why.empty()) reject(node, why, item);
  return v;
}

// Plain decimal number: [-+]?(D+(.D*)?|.D+)([eE][-+]?D+)?. No inf, nan or hex floats.
double parse_float(const KeySpec& spec, const YAML::Node& node) {
  if (!node.IsScalar() || is_string_tagged(node)) reject_type(node, "float");
  std::string_view text = node.Scalar();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '-') rest.remove_prefix(1);
  size_t e = rest.find_first_of("eE");
  std::string_view mantissa = rest.substr(0, e);
  size_t dot = mantissa.find('.');
  bool ok = dot == std::string_view::npos
                ? all_digits(mantissa)
                : (dot > 0 || mantissa.size() > 1) &&
                      (dot == 0 || all_digits(mantissa.substr(0, dot))) &&
                      (dot + 1 == mantissa.size() || all_digits(mantissa.substr(dot + 1)));
  if (ok && e != std::string_view::npos) {
    std::string_view exponent = rest.substr(e + 1);
    if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) exponent.remove_prefix(1);
    ok = all_digits(exponent);
  }
  if (!ok) reject_type(node, "float");
  double v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size())
    reject(node, cat("'", node.Scalar(), "' does not fit a double"));
  std::string why = check_value(spec, Value(v));
  if (!why.empty()) reject(node, why);
  return v;
}

bool parse_bool(const YAML::Node& node) {
  if (node.IsScalar() && !is_string_tagged(node)) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  reject_type(node, "bool (true or false)");
}

// Any scalar is accepted as a string: `name: 2024` means the text "2024".
std::string parse_string(const YAML::Node& node, const std::string& item = "") {
  if (!node.IsScalar()) reject_type(node, "string", item);
  return node.Scalar();
}

}  // namespace

Value parse_value(const KeySpec& spec, const YAML::Node& node, const std::string& base_dir) {
  switch (spec.type) {
    case KeyType::String: return parse_string(node);
    case KeyType::Int: return parse_int(spec, node, "");
    case KeyType::Float: return parse_float(spec, node);
    case KeyType::Bool: return parse_bool(node);
    case KeyType::Path:
    case KeyType::ExistingFile:
    case KeyType::ExistingDir: {
      if (!node.IsScalar()) reject_type(node, type_description(spec));
      // An empty path means "unset" (commands that need the path say so).
      return resolve_path(node.Scalar(), base_dir);
    }
    case KeyType::Enum: {
      if (!node.IsScalar()) reject_type(node, type_description(spec));
      std::string why = check_value(spec, Value(node.Scalar()));
      if (!why.empty()) reject(node, why);
      return node.Scalar();
    }
    case KeyType::StringList: {
      if (!node.IsSequence()) {
        std::string hint = node.IsScalar() ? cat(" (write [", node.Scalar(), "] for a list of one)") : "";
        reject(node, cat("expected list of strings, got ", describe_node(node), hint));
      }
      std::vector<std::string> out;
      for (size_t i = 0; i < node.size(); ++i) out.push_back(parse_string(node[i], cat("[", i, "]")));
      return out;
    }
    case KeyType::PathList: {
      if (!node.IsSequence()) {
        std::string hint = node.IsScalar() ? cat(" (write [", node.Scalar(), "] for a list of one)") : "";
        reject(node, cat("expected list of paths, got ", describe_node(node), hint));
      }
      std::vector<std::string> out;
      for (size_t i = 0; i < node.size(); ++i)
        out.push_back(resolve_path(parse_string(node[i], cat("[", i, "]")), base_dir));
      return out;
    }
    case KeyType::IntList: {
      if (!node.IsSequence()) {
        std::string hint = node.IsScalar() ? cat(" (write [", node.Scalar(), "] for a list of one)") : "";
        reject(node, cat("expected ", type_description(spec), ", got ", describe_node(node), hint));
      }
      std::vector<int64_t> out;
      for (size_t i = 0; i < node.size(); ++i) out.push_back(parse_int(spec, node[i], cat("[", i, "]")));
      return out;
    }
  }
  throw InternalError(cat("schema key '", spec.key, "' has an unknown type"));
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "an empty value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar:
      if (is_string_tagged(node)) return cat("string \"", node.Scalar(), "\"");
      return cat("'", node.Scalar(), "'");
    default: return "an undefined value";
  }
}

// ---------------------------------------------------------------------------------------------
// Schema.

Schema::Schema(std::vector<KeySpec> keys) : keys_(std::move(keys)) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    const KeySpec& spec = keys_[i];
    const std::string& key = spec.key;
    auto bad = [&](const std::string& why) { throw InternalError(cat("schema key '", key, "': ", why)); };
    if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos)
      bad("dotted path with an empty component");
    if (!index_.emplace(key, i).second) bad("declared twice");
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1))
      sections_.insert(key.substr(0, dot));
    if ((spec.type == KeyType::Enum) == spec.choices.empty())
      bad(spec.type == KeyType::Enum ? "enum without choices" : "choices on a non-enum key");
    if (spec.min && spec.max && *spec.min > *spec.max) bad("min > max");
    if (spec.default_value) {
      std::string why = check_value(spec, *spec.default_value);
      if (!why.empty()) bad("default " + why);
    }
  }
  for (const auto& section : sections_)
    if (index_.count(section)) throw InternalError(cat("schema key '", section, "' is also a section"));
}

const KeySpec* Schema::find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

bool Schema::is_section(std::string_view key) const { return sections_.count(key) > 0; }

std::string Schema::suggest(std::string_view unknown) const {
  auto last_component = [](std::string_view s) {
    size_t dot = s.rfind('.');
    return dot == std::string_view::npos ? s : s.substr(dot + 1);
  };
  // A known key put in the wrong section ("model.seed", or "threads" at the top level).
  for (const auto& spec : keys_)
    if (last_component(spec.key) == last_component(unknown)) return spec.key;
  // Otherwise a typo: the closest key or section, if few edits away for its length.
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  auto consider = [&](const std::string& candidate) {
    size_t d = edit_distance(unknown, candidate);
    if (d < best_distance) best_distance = d, best = candidate;
  };
  for (const auto& spec : keys_) consider(spec.key);
  for (const auto& section : sections_) consider(section);
  size_t limit = std::clamp<size_t>(unknown.size() / 4, 1, 3);
  return best_distance <= limit ? best : "";
}

std::string Schema::describe() const {
  size_t key_width = 0, type_width = 0;
  for (const auto& spec : keys_) {
    key_width = std::max(key_width, spec.key.size());
    type_width = std::max(type_width, type_description(spec).size());
  }
  std::ostringstream out;
  std::string previous_section = "\x01";
  for (const auto& spec : keys_) {
    size_t dot = spec.key.rfind('.');
    std::string section = dot == std::string::npos ? "" : spec.key.substr(0, dot);
    if (section != previous_section && previous_section != "\x01") out << "\n";
    previous_section = section;
    std::string type = type_description(spec);
    std::string def = spec.default_value ? "default: " + value_to_string(*spec.default_value) : "required";
    out << spec.key << std::string(key_width - spec.key.size() + 2, ' ') << type
        << std::string(type_width - type.size() + 2, ' ') << def << "\n"
        << std::string(key_width + 2, ' ') << spec.doc << "\n";
  }
  return out.str();
}

}  // namespace bertology
