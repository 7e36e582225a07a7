// The declared configuration keys and the validation of single values against them.
//
// Every key bertology understands is one row: of the core table in schema_table.cpp, or of a
// stage's section (config_section.h); `default_schema()` joins them.
// A row names a dotted key ("model.threads"), its type, its default (or `kRequired`), an
// optional range or set of choices, and a one-line doc. The loader (config.h) rejects keys that
// are not in the table, and `describe()` turns the table into the `config --help` listing.
// Adding a key is one row; see the comment above the table in schema_table.cpp.
//
// This header deliberately does not include yaml-cpp: `Value` is a plain variant so that code
// reading parameters never sees YAML types.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace bertology {

/// What a key accepts.
enum class KeyType {
  String,        ///< any scalar, kept as text
  Int,           ///< plain decimal integer (64-bit)
  Float,         ///< plain decimal number; integers are accepted
  Bool,          ///< true / false (also True, TRUE, False, FALSE)
  Path,          ///< filesystem path that may not exist yet (outputs)
  ExistingFile,  ///< path that must name an existing regular file (see Config::check_paths)
  ExistingDir,   ///< path that must name an existing directory (see Config::check_paths)
  Enum,          ///< one of a fixed set of strings
  StringList,    ///< sequence of scalars, kept as text
  PathList,      ///< sequence of paths, each resolved like a Path (relative to the file's folder)
  IntList,       ///< sequence of plain decimal integers
};

/// A validated value. Int, Float and Bool keys hold int64_t, double and bool; String, path and
/// enum keys hold std::string; StringList and IntList keys hold vectors. After loading, path keys
/// hold absolute, lexically normalised paths.
using Value = std::variant<std::string, int64_t, double, bool, std::vector<std::string>,
                           std::vector<int64_t>>;

/// One row of the schema. Build rows with the helpers below (string_key, int_key, ...).
struct KeySpec {
  std::string key;                     ///< dotted path, e.g. "model.threads"
  KeyType type = KeyType::String;      ///< what the key accepts
  std::optional<Value> default_value;  ///< used when nothing sets the key; nullopt: required
  std::optional<double> min;           ///< inclusive lower bound (Int, Float, IntList elements)
  std::optional<double> max;           ///< inclusive upper bound (Int, Float, IntList elements)
  std::vector<std::string> choices;    ///< allowed values (Enum only)
  std::string doc;                     ///< one-line description shown by Schema::describe()
};

/// Tag for keys without a default: loading fails unless a file or --set provides them.
struct Required {};
inline constexpr Required kRequired{};

/// "No bound" for the min/max arguments of int_key, float_key and ints_key.
inline constexpr std::nullopt_t kUnbounded = std::nullopt;

/// Default of a row: a value of type T, or kRequired. `{}` means T{} (empty string or list).
/// Guards against silent conversions in the table: a bool default must be a bool (not "false"),
/// an integer default must be an integer (not 2.5).
template <typename T>
struct Default {
  std::optional<T> value;

  Default() : value(T{}) {}
  Default(Required) {}
  template <typename U, typename D = std::decay_t<U>,
            typename = std::enable_if_t<std::is_constructible_v<T, U> && !std::is_same_v<D, Required> &&
                                        !std::is_same_v<D, Default> &&
                                        (!std::is_arithmetic_v<T> ||
                                         (std::is_arithmetic_v<D> &&
                                          std::is_same_v<T, bool> == std::is_same_v<D, bool> &&
                                          (std::is_floating_point_v<T> || std::is_integral_v<D>)))>>
  Default(U&& v) : value(T(std::forward<U>(v))) {}
  /// List defaults written inline: strings_key("stages", {"embed", "probe"}, ...).
  template <typename E, typename V = T, typename = typename V::value_type>
  Default(std::initializer_list<E> list) : value(T(list.begin(), list.end())) {}
};

// Row builders: one call per key in the schema table.
KeySpec string_key(std::string key, Default<std::string> def, std::string doc);
KeySpec int_key(std::string key, Default<int64_t> def, std::optional<double> min,
                std::optional<double> max, std::string doc);
KeySpec float_key(std::string key, Default<double> def, std::optional<double> min,
                  std::optional<double> max, std::string doc);
KeySpec bool_key(std::string key, Default<bool> def, std::string doc);
/// A relative default path is resolved against the current directory when the config loads.
KeySpec path_key(std::string key, Default<std::string> def, std::string doc);
KeySpec file_key(std::string key, Default<std::string> def, std::string doc);
KeySpec dir_key(std::string key, Default<std::string> def, std::string doc);
KeySpec enum_key(std::string key, std::vector<std::string> choices, Default<std::string> def,
                 std::string doc);
KeySpec paths_key(std::string key, Default<std::vector<std::string>> def, std::string doc);
KeySpec strings_key(std::string key, Default<std::vector<std::string>> def, std::string doc);
KeySpec ints_key(std::string key, Default<std::vector<int64_t>> def, std::optional<double> min,
                 std::optional<double> max, std::string doc);

/// True for ExistingFile, ExistingDir and Path.
bool is_path_type(KeyType type);

/// A set of declared keys. Sections ("model") are the proper prefixes of the dotted keys.
class Schema {
 public:
  /// Checks the table (unique keys, no key that is also a section, enum choices present,
  /// defaults inside their range and choices); throws InternalError on a broken table.
  explicit Schema(std::vector<KeySpec> keys);

  /// All rows, in declaration order (which is also the order of Config::dump()).
  const std::vector<KeySpec>& keys() const { return keys_; }
  /// The row for a dotted key, or nullptr when the key is not declared.
  const KeySpec* find(std::string_view key) const;
  /// True when `key` is a section, i.e. a proper prefix of some declared key.
  bool is_section(std::string_view key) const;
  /// The declared key or section closest to an unknown one, or "" when none is close:
  /// same last component in another section first ("model.seed" -> "runtime.seed"), then a
  /// small edit distance ("model.thread" -> "model.threads", "modle" -> "model").
  std::string suggest(std::string_view unknown) const;
  /// Human-readable listing of all keys with type, default and doc, grouped by section.
  std::string describe() const;

 private:
  std::vector<KeySpec> keys_;
  std::map<std::string, size_t, std::less<>> index_;  // key -> row
  std::set<std::string, std::less<>> sections_;
};

/// The schema of this binary: the core table (schema_table.cpp) plus the sections of the
/// registered stages (config_section.h), built at its first use.
const Schema& default_schema();
/// Whether default_schema() has been built (a section registered later would be missing).
bool schema_is_built();

/// default_schema().describe(), for `bertology config --help`.
std::string describe_schema();

/// Type as shown to users: "int >= 1", "one of cpu|cuda", "list of strings", ...
std::string type_description(const KeySpec& spec);

/// Value as shown in messages and in describe(): 2, cpu, [a, b], "" ...
std::string value_to_string(const Value& value);

/// Damerau-Levenshtein distance (optimal string alignment: a swap of two adjacent characters
/// counts as one edit), used for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

/// A value that does not fit its key. `line`/`column` (0-based, as yaml-cpp counts) locate the
/// offending node, which is the element for errors inside a list.
class ValueError : public std::runtime_error {
 public:
  ValueError(const std::string& message, int line, int column, std::string item = "")
      : std::runtime_error(message), line(line), column(column), item(std::move(item)) {}
  int line;          ///< 0-based line of the offending node, -1 when unknown
  int column;        ///< 0-based column of the offending node, -1 when unknown
  std::string item;  ///< "[2]" when the offending node is an element of a list, else ""
};

/// Converts `node` to the type of `spec`, checks range and choices, and makes relative paths
/// absolute against `base_dir` (an absolute directory). Does not check that paths exist.
/// Throws ValueError with a message that does not repeat the key name.
Value parse_value(const KeySpec& spec, const YAML::Node& node, const std::string& base_dir);

/// A YAML node as shown in messages: "a map", "a list", "an empty value", 'four', string "4".
std::string describe_node(const YAML::Node& node);

/// Range and choice check of an already typed value; returns "" when it fits, else the reason.
std::string check_value(const KeySpec& spec, const Value& value);

/// Absolute, lexically normalised form of `path` (relative paths are taken against `base_dir`),
/// without a trailing separator.
std::string resolve_path(const std::string& path, const std::string& base_dir);

}  // namespace bertology
