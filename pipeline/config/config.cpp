// Loading, stacking and dumping of configurations; see config.h for the rules.
#include "pipeline/config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "pipeline/util/error.h"

namespace bertology {

namespace fs = std::filesystem;

namespace {

using Entries = std::map<std::string, ConfigEntry>;

/// Where the YAML being merged comes from, and how to name a position inside it.
struct Source {
  std::string name;      // file path as given, or the KEY of a --set
  bool is_override;      // --set: positions are "--set KEY"
  std::string base_dir;  // absolute; relative paths are resolved against it

  // "FILE:LINE:COLUMN" (1-based) or "--set KEY"; a file position yaml-cpp does not know
  // (null mark, line -1) degrades to "FILE".
  std::string where(int line, int column) const {
    if (is_override) return "--set " + name;
    if (line < 0) return name;
    return cat(name, ":", line + 1, ":", column + 1);
  }
  std::string where(const YAML::Node& node) const {
    YAML::Mark mark = node.Mark();
    return where(mark.line, mark.column);
  }
  Origin origin(const YAML::Node& node) const {
    Origin o;
    o.source = name;
    if (is_override) {
      o.kind = Origin::Kind::Override;
    } else {
      o.kind = Origin::Kind::File;
      o.line = node.Mark().line + 1;
      o.column = node.Mark().column + 1;
    }
    return o;
  }
};

[[noreturn]] void fail_at(const std::string& where, const std::string& message) {
  throw InputError(cat(where, ": ", message));  // quoted multi-line scalars: InputError keeps one line
}

/// Where the documents of a YAML stream start, building nothing.
class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

/// Folds YAML documents into `entries`, validating each leaf against the schema.
class Merger {
 public:
  Merger(const Schema& schema, Entries& entries) : schema_(schema), entries_(entries) {}

  /// Parses one YAML document; `text` is the whole file or the VALUE of a --set.
  YAML::Node parse(const std::string& text, const Source& src) const {
    // YAML allows no C0 control character but tab, LF and CR (the spec's c-printable), and
    // yaml-cpp 0.7 loops forever on some of them (", \0"): refuse them before it sees the text.
    // A CR alone is a line break to YAML but not to yaml-cpp, which keeps it inside a scalar (a
    // value that then changes when its dump is read again): only LF and CRLF line endings.
    int line = 0, column = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
        fail_at(src.where(line, column), cat("control character ", code, " is not allowed in YAML"));
      }
      if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))
        fail_at(src.where(line, column), "a carriage return without a line feed (use LF or CRLF line endings)");
      if (c == '\n') ++line, column = 0;
      else ++column;
    }
    // One document, counted first without building it: yaml-cpp 0.7's LoadAll never returns on
    // a stray ',' at the top level (its parser reports a document without consuming the token, and
    // LoadAll collects such documents until memory runs out).
    YAML::Node root;
    try {
      std::istringstream stream(text);
      YAML::Parser parser(stream);
      DocumentCounter counter;
      // A real second document starts further on; the stray token yields documents that all start
      // where it stands, so a third look tells them apart.
      for (int calls = 0; calls < 3 && parser.HandleNextDocument(counter); ++calls) {
      }
      const auto& at = counter.starts;
      auto same = [](const YAML::Mark& a, const YAML::Mark& b) { return a.pos == b.pos; };
      if ((at.size() >= 2 && same(at[0], at[1])) || (at.size() >= 3 && same(at[1], at[2]))) {
        const YAML::Mark& m = same(at[0], at[1]) ? at[0] : at[1];
        fail_at(src.where(m.line, m.column), "malformed YAML: a token outside any node (a stray ','?)");
      }
      if (at.size() >= 2) fail_at(src.where(at[1].line, at[1].column), "more than one YAML document ('---')");
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      fail_at(src.where(e.mark.line, e.mark.column), "malformed YAML: " + e.msg);
    } catch (const YAML::Exception& e) {
      fail_at(src.name, "malformed YAML: " + e.msg);
    }
    return root;
  }

  void merge_file(const std::string& text, const Source& src) {
    YAML::Node root = parse(text, src);
    if (root.IsNull()) return;  // empty file, or only comments
    if (!root.IsMap()) fail_at(src.where(root), "expected a map of sections, got " + describe_node(root));
    merge_map(root, "", src);
  }

  void merge_override(const std::string& arg) {
    size_t eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    // Spaces around KEY come from quoting like --set "model.threads = 4"; they are not part of it.
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(' ') + 1);
    if (eq == std::string::npos || key.empty())
      throw InputError(cat("--set ", arg, ": expected KEY=VALUE, e.g. --set model.threads=4"));
    Source src{key, true, fs::current_path().string()};
    YAML::Node value = parse(arg.substr(eq + 1), src);
    merge_key(key, nullptr, value, src);
  }

 private:
  // One pair of a map: a leaf, a section to descend into, or an unknown key.
  // `key_node` is null for a --set, where the key is not a YAML node.
  void merge_key(const std::string& key, const YAML::Node* key_node, const YAML::Node& value,
                 const Source& src) {
    if (const KeySpec* spec = schema_.find(key)) {
      merge_leaf(*spec, key_node, value, src);
    } else if (schema_.is_section(key)) {
      if (value.IsNull()) return;  // `model:` with every key commented out
      if (!value.IsMap())
        fail_at(src.where(value), cat(label(key, src), "expected a map of keys, got ", describe_node(value)));
      merge_map(value, key, src);
    } else {
      std::string suggestion = schema_.suggest(key);
      std::string where = key_node ? src.where(*key_node) : src.where(value);
      fail_at(where, cat("unknown key '", key, "'",
                         suggestion.empty() ? "" : cat(" (did you mean '", suggestion, "'?)")));
    }
  }

  void merge_map(const YAML::Node& map, const std::string& prefix, const Source& src) {
    std::map<std::string, int> seen;  // name -> 1-based line, for duplicate keys
    for (const auto& pair : map) {
      const YAML::Node& key_node = pair.first;
      if (!key_node.IsScalar())
        fail_at(src.where(key_node), cat("keys must be names, got ", describe_node(key_node)));
      const std::string& name = key_node.Scalar();
      std::string key = prefix.empty() ? name : prefix + "." + name;
      if (name.empty()) fail_at(src.where(key_node), "empty key");
      // Dotted names would make `model.threads:` and `model: {threads:}` two spellings of one
      // key in the same file, one silently winning; nesting keeps duplicates detectable.
      if (name.find('.') != std::string::npos)
        fail_at(src.where(key_node), cat("key '", key, "' contains '.'; nest it under its section instead"));
      auto [it, fresh] = seen.emplace(name, key_node.Mark().line + 1);
      if (!fresh) fail_at(src.where(key_node), cat("duplicate key '", key, "' (first set on line ", it->second, ")"));
      merge_key(key, &key_node, pair.second, src);
    }
  }

  void merge_leaf(const KeySpec& spec, const YAML::Node* key_node, const YAML::Node& value,
                  const Source& src) {
    try {
      entries_[spec.key] = ConfigEntry{parse_value(spec, value, src.base_dir), src.origin(value)};
    } catch (const ValueError& e) {
      // yaml-cpp marks an empty value (`threads:` at the end of a line) at the next token,
      // often on a later line; the key is a better place to point at.
      std::string where = src.where(e.line, e.column);
      if (value.IsNull() && key_node && key_node->Mark().line != e.line) where = src.where(*key_node);
      fail_at(where, label(spec.key + e.item, src) + e.what());
    }
  }

  // "key: " before a message, left out when the position already is "--set key".
  static std::string label(const std::string& key, const Source& src) {
    return src.is_override && src.name == key ? "" : key + ": ";
  }

  const Schema& schema_;
  Entries& entries_;
};

// Defaults for keys nothing set; relative default paths are taken against the current directory.
void fill_defaults(const Schema& schema, Entries& entries) {
  std::vector<std::string> missing;
  for (const KeySpec& spec : schema.keys()) {
    if (entries.count(spec.key)) continue;
    if (!spec.default_value) {
      missing.push_back(spec.key);
      continue;
    }
    Value value = *spec.default_value;
    if (is_path_type(spec.type)) value = resolve_path(std::get<std::string>(value), "");
    if (spec.type == KeyType::PathList)
      for (auto& path : std::get<std::vector<std::string>>(value)) path = resolve_path(path, "");
    entries[spec.key] = ConfigEntry{std::move(value), Origin{}};
  }
  if (missing.empty()) return;
  std::string list;
  for (size_t i = 0; i < missing.size(); ++i) list += (i ? ", '" : "'") + missing[i] + "'";
  throw InputError(cat("missing required key", missing.size() > 1 ? "s " : " ", list,
                       " (set it in a config file or with --set ", missing[0], "=...)"));
}

std::string read_config_file(const std::string& file) {
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) throw InputError(cat(file, ": no such file"));
  if (fs::is_directory(status)) throw InputError(cat(file, ": is a directory, not a config file"));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(cat(file, ": cannot be read"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(cat(file, ": cannot be read"));
  return text;
}

// The dump nests keys by section; sections appear in the order of their first key.
struct DumpNode {
  std::string name;
  const KeySpec* spec = nullptr;  // leaf when set
  std::vector<DumpNode> children;
};

void insert(DumpNode& node, const std::string& rest, const KeySpec& spec) {
  size_t dot = rest.find('.');
  std::string head = rest.substr(0, dot);
  DumpNode* child = nullptr;
  for (auto& c : node.children)
    if (c.name == head) child = &c;
  if (!child) {
    node.children.push_back(DumpNode{head, nullptr, {}});
    child = &node.children.back();
  }
  if (dot == std::string::npos) child->spec = &spec;
  else insert(*child, rest.substr(dot + 1), spec);
}

// bertology reads any scalar back as a string, but other readers of a stored dump (PyYAML's
// YAML 1.1 rules in analysis scripts) would turn `stages: [yes, 1]` into [True, 1]. Quote
// strings that could read as a bool, null or number there; over-quoting is harmless.
bool may_read_as_non_string(const std::string& s) {
  static const char* const kWords[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"};
  if (s.empty()) return false;  // the emitter quotes empty strings itself
  if (std::strchr("0123456789+-.", s.front())) return true;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : kWords)
    if (lower == word) return true;
  return false;
}

void emit_string(YAML::Emitter& out, const std::string& s) {
  if (may_read_as_non_string(s)) out << YAML::DoubleQuoted;
  out << s;
}

void emit_value(YAML::Emitter& out, const Value& value) {
  struct Visitor {
    YAML::Emitter& out;
    void operator()(const std::string& s) const { emit_string(out, s); }
    void operator()(int64_t v) const { out << static_cast<long long>(v); }
    // As text: the emitter's own double output is not shortest-round-trip.
    void operator()(double v) const { out << value_to_string(Value(v)); }
    void operator()(bool v) const { out << v; }
    void operator()(const std::vector<std::string>& v) const {
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& s : v) emit_string(out, s);
      out << YAML::EndSeq;
    }
    void operator()(const std::vector<int64_t>& v) const {
      out << YAML::Flow << YAML::BeginSeq;
      for (int64_t x : v) out << static_cast<long long>(x);
      out << YAML::EndSeq;
    }
  };
  std::visit(Visitor{out}, value);
}

void emit_map(YAML::Emitter& out, const DumpNode& node, const Entries& entries) {
  out << YAML::BeginMap;
  for (const auto& child : node.children) {
    out << YAML::Key << child.name << YAML::Value;
    if (child.spec) emit_value(out, entries.at(child.spec->key).value);
    else emit_map(out, child, entries);
  }
  out << YAML::EndMap;
}

}  // namespace

std::string Origin::str() const {
  switch (kind) {
    case Kind::File: return cat(source, ":", line, ":", column);
    case Kind::Override: return "--set " + source;
    case Kind::Default: break;
  }
  return "default";
}

Config Config::load(const std::vector<std::string>& files, const std::vector<std::string>& overrides,
                    const Schema& schema) {
  Entries entries;
  Merger merger(schema, entries);
  for (const auto& file : files) {
    std::string text = read_config_file(file);
    std::string base_dir = fs::absolute(fs::path(file)).parent_path().lexically_normal().string();
    merger.merge_file(text, Source{file, false, base_dir});
  }
  for (const auto& arg : overrides) merger.merge_override(arg);
  fill_defaults(schema, entries);
  return Config(&schema, std::move(entries));
}

Config Config::from_string(const std::string& yaml, const std::string& name, const Schema& schema) {
  Entries entries;
  Merger(schema, entries).merge_file(yaml, Source{name, false, fs::current_path().string()});
  fill_defaults(schema, entries);
  return Config(&schema, std::move(entries));
}

std::string Config::dump() const {
  DumpNode root;
  for (const KeySpec& spec : schema_->keys()) insert(root, spec.key, spec);
  YAML::Emitter out;
  emit_map(out, root, entries_);
  if (!out.good()) throw InternalError("cannot dump config: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

const ConfigEntry& Config::entry(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) throw InternalError(cat("config key '", key, "' is not declared in the schema"));
  return it->second;
}

const Value& Config::get(const std::string& key) const { return entry(key).value; }

namespace {
template <typename T>
const T& get_as(const Value& value, const std::string& key, const char* type) {
  if (const T* v = std::get_if<T>(&value)) return *v;
  throw InternalError(cat("config key '", key, "' is not ", type));
}
}  // namespace

const std::string& Config::get_string(const std::string& key) const {
  return get_as<std::string>(get(key), key, "a string, path or enum");
}
int64_t Config::get_int(const std::string& key) const { return get_as<int64_t>(get(key), key, "an int"); }
double Config::get_float(const std::string& key) const { return get_as<double>(get(key), key, "a float"); }
bool Config::get_bool(const std::string& key) const { return get_as<bool>(get(key), key, "a bool"); }
const std::vector<std::string>& Config::get_strings(const std::string& key) const {
  return get_as<std::vector<std::string>>(get(key), key, "a list of strings");
}
const std::vector<int64_t>& Config::get_ints(const std::string& key) const {
  return get_as<std::vector<int64_t>>(get(key), key, "a list of ints");
}

const Origin& Config::origin(const std::string& key) const { return entry(key).origin; }

bool Config::is_set(const std::string& key) const { return origin(key).kind != Origin::Kind::Default; }

void Config::fail(const std::string& key, const std::string& message) const {
  const Origin& o = origin(key);
  switch (o.kind) {
    case Origin::Kind::File: throw InputError(cat(o.str(), ": ", key, ": ", message));
    case Origin::Kind::Override:
      throw InputError(o.source == key ? cat(o.str(), ": ", message) : cat(o.str(), ": ", key, ": ", message));
    case Origin::Kind::Default: break;
  }
  throw InputError(cat(key, " (default): ", message));
}

void Config::check_paths(const std::vector<std::string>& keys) const {
  std::vector<const KeySpec*> specs;
  if (keys.empty()) {
    for (const KeySpec& spec : schema_->keys()) specs.push_back(&spec);
  } else {
    for (const auto& key : keys) {
      const KeySpec* spec = schema_->find(key);
      if (!spec || !is_path_type(spec->type))
        throw InternalError(cat("check_paths: '", key, "' is not a path key of the schema"));
      specs.push_back(spec);
    }
  }
  for (const KeySpec* spec : specs) {
    bool want_dir = spec->type == KeyType::ExistingDir;
    if (!want_dir && spec->type != KeyType::ExistingFile) continue;  // plain paths may not exist yet
    const std::string& path = get_string(spec->key);
    if (path.empty() && keys.empty()) continue;  // unset optional path; named keys must be set
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) fail(spec->key, cat("no such ", want_dir ? "directory" : "file", " '", path, "'"));
    if (want_dir && !fs::is_directory(status)) fail(spec->key, cat("'", path, "' is not a directory"));
    if (!want_dir && !fs::is_regular_file(status)) fail(spec->key, cat("'", path, "' is not a regular file"));
  }
}

std::string yaml_quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace bertology
