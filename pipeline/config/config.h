// The effective configuration of a bertology run: YAML files stacked marian-style, then
// `--set` overrides, validated against the schema (schema.h), with every value's origin.
//
// Stacking rules:
//  - Files merge in the order given; a later file overrides an earlier one key by key. Maps merge
//    recursively; scalars and lists are replaced whole (a later `stages: [x]` replaces [a, b]).
//    An empty section (`model:` with nothing under it) changes nothing.
//  - `--set KEY=VALUE` overrides apply after all files, in order. VALUE is parsed as YAML, so
//    `model.threads=4`, `stages=[a,b]` and `model.path=dir with spaces` all work. KEY may also be
//    a section with a map value: `model={threads: 4, device: cuda}`.
//  - Keys not set anywhere take the schema's default; a key without default must be set.
//  - Every file and override is validated as it is read, even if a later one overrides it.
//
// Paths: a relative path in a config file is relative to the directory of that file; a relative
// path from `--set` or from a schema default is relative to the current directory. Paths are
// stored absolute and lexically normalised (`~` is not expanded). Whether an existing-file or
// existing-dir key really exists is checked only when a command asks (`check_paths`), so that
// commands that never open the model do not need one.
//
// Errors are InputError with one line: `FILE:LINE:COLUMN: message` (1-based, the position of the
// offending key or value in the file that set it), `--set KEY: message` for overrides,
// `FILE: no such file` for a missing config file, and `FILE:LINE:COLUMN: malformed YAML: ...`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/config/schema.h"

namespace bertology {

/// Where an effective value came from.
struct Origin {
  enum class Kind { Default, File, Override };
  Kind kind = Kind::Default;  ///< schema default, config file, or --set
  std::string source;         ///< File: the path as given; Override: the KEY as written in --set
  int line = 0;               ///< File: 1-based line of the value; otherwise 0
  int column = 0;             ///< File: 1-based column of the value; otherwise 0

  /// "FILE:LINE:COLUMN", "--set KEY" or "default".
  std::string str() const;
};

/// One effective key.
struct ConfigEntry {
  Value value;    ///< validated value (paths absolute)
  Origin origin;  ///< who set it
};

/// A merged and validated configuration. Cheap to copy; refers to its Schema, which must outlive
/// it (default_schema() lives for the whole program).
class Config {
 public:
  /// Merges `files` in order, then `overrides` ("KEY=VALUE", without the leading `--set`), fills
  /// defaults and validates everything except path existence. Throws InputError.
  static Config load(const std::vector<std::string>& files,
                     const std::vector<std::string>& overrides = {},
                     const Schema& schema = default_schema());

  /// Same for a config held in memory (e.g. the dump stored inside an output); `name` is used in
  /// error positions and relative paths are taken against the current directory.
  static Config from_string(const std::string& yaml, const std::string& name = "<string>",
                            const Schema& schema = default_schema());

  /// The effective config as YAML: every key of the schema, defaults included, in schema order.
  /// Loading the dump gives the same dump.
  std::string dump() const;

  // Typed access by dotted key. Asking for an undeclared key, or with the wrong type, is a bug
  // and throws InternalError. get_string serves string, path and enum keys.
  const std::string& get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::vector<std::string>& get_strings(const std::string& key) const;
  const std::vector<int64_t>& get_ints(const std::string& key) const;
  const Value& get(const std::string& key) const;

  /// Who set `key`.
  const Origin& origin(const std::string& key) const;
  /// True when a file or --set set `key` (false when it holds its default).
  bool is_set(const std::string& key) const;

  /// Checks that existing-file / existing-dir keys name an existing file / directory; with no
  /// keys, checks all of them. Call it from commands that will open those paths, e.g.
  /// `cfg.check_paths({"model.path"})`. Throws InputError at the value's origin.
  void check_paths(const std::vector<std::string>& keys = {}) const;

  /// Throws InputError for a bad `key`, prefixed with where it was set:
  /// "FILE:LINE:COLUMN: key: message", "--set key: message", or "key (default): message".
  /// For checks that span keys or need outside knowledge (a layer index vs. the model's depth).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  const Schema& schema() const { return *schema_; }
  /// All effective entries, by key.
  const std::map<std::string, ConfigEntry>& entries() const { return entries_; }

 private:
  Config(const Schema* schema, std::map<std::string, ConfigEntry> entries)
      : schema_(schema), entries_(std::move(entries)) {}
  const ConfigEntry& entry(const std::string& key) const;

  const Schema* schema_;
  std::map<std::string, ConfigEntry> entries_;
};

/// `s` as a YAML double-quoted scalar ("a \"b\""), for --set values built in code (paths).
std::string yaml_quoted(const std::string& s);

}  // namespace bertology
