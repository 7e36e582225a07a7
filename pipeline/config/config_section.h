// A config section owned by the code that reads it: a stage, or a study family's library.
//
// The core schema (schema_table.cpp) knows only the core sections (study, model, tokenizer,
// corpus, input, extract, cache, slurm, sweep, runtime, stages). Every other section is declared
// once, next to its code, as rows bound to the fields of a typed struct:
//
//   struct ClarkParams { std::string word_from; int64_t min_relation_count; ... };
//   const ConfigSection<ClarkParams>& clark_section() {
//     static const ConfigSection<ClarkParams> section("clark", "Clark et al. (2019) stages", {
//         field(&ClarkParams::word_from, enum_key("word_from", {"mean", "first"}, "mean", "...")),
//         field(&ClarkParams::min_relation_count, int_key("min_relation_count", 100, 1, kUnbounded, "...")),
//     });
//     return section;
//   }
//   const ClarkParams& clark = clark_section().of(ctx.params);
//
// The row gives key, type, default, range and help; the struct gives the field; nothing else
// repeats them. A section reaches the schema when a registered stage names it (StageInfo::
// sections), so `bertology config` lists it and configs may set it; Params carries its values
// (Params::sections), filled by params_from_config. A Params built in code (tests, tools) holds
// no values: of() then answers the defaults of the rows.
#pragma once

#include <any>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "pipeline/config/schema.h"

namespace bertology {

class Config;
struct Params;

/// What every section offers the schema and the stage kit, whatever its struct.
class ConfigSectionBase {
 public:
  virtual ~ConfigSectionBase() = default;
  /// "clark": the first component of every key of the section.
  const std::string& name() const { return name_; }
  /// One line for `bertology config` listings.
  const std::string& summary() const { return summary_; }
  /// The rows, with full dotted keys ("clark.word_from").
  const std::vector<KeySpec>& rows() const { return rows_; }
  /// The typed struct filled from a validated config (InputError at a value's origin when an int
  /// does not fit its field).
  virtual std::any fill(const Config& cfg) const = 0;
  /// {key without section: value} of the values in `params` (the defaults when it holds none):
  /// what a stage's record (stage.json) lists as its configuration inputs.
  virtual nlohmann::json values_json(const Params& params) const = 0;

 protected:
  ConfigSectionBase(std::string name, std::string summary) : name_(std::move(name)), summary_(std::move(summary)) {}
  std::vector<KeySpec> rows_;

 private:
  std::string name_, summary_;
};

/// Adds a section to the schema (idempotent for the same object; InternalError when another
/// section of that name is registered). The stage registry calls it for each stage's sections.
void register_section(const ConfigSectionBase& section);
/// Sections registered so far, in registration order.
const std::vector<const ConfigSectionBase*>& registered_sections();

/// Value of a validated config entry as JSON (lists as arrays).
nlohmann::json value_json(const Value& value);

namespace section_detail {
/// Converts a validated Value to the field type (int fields are range-checked by the caller).
template <typename M>
M field_value(const Value& v) {
  if constexpr (std::is_same_v<M, bool>) return std::get<bool>(v);
  else if constexpr (std::is_integral_v<M>) return static_cast<M>(std::get<int64_t>(v));
  else if constexpr (std::is_floating_point_v<M>) return static_cast<M>(std::get<double>(v));
  else return std::get<M>(v);
}
template <typename M>
Value to_value(const M& m) {
  if constexpr (std::is_same_v<M, bool>) return Value(m);
  else if constexpr (std::is_integral_v<M>) return Value(static_cast<int64_t>(m));
  else if constexpr (std::is_floating_point_v<M>) return Value(static_cast<double>(m));
  else return Value(m);
}
/// Whether an int64 config value fits the field (an `int` field of an unbounded key may not).
template <typename M>
bool fits(const Value& v) {
  if constexpr (std::is_integral_v<M> && !std::is_same_v<M, bool>) {
    const int64_t x = std::get<int64_t>(v);
    return x >= static_cast<int64_t>(std::numeric_limits<M>::min()) && x <= static_cast<int64_t>(std::numeric_limits<M>::max());
  } else {
    return true;
  }
}
}  // namespace section_detail

/// One row bound to one field of T. Build with field().
template <typename T>
struct SectionField {
  KeySpec spec;                                     ///< key relative to the section ("word_from")
  std::function<bool(T&, const Value&)> set;        ///< false when the value does not fit the field
  std::function<Value(const T&)> get;
};

/// Binds `spec` (its key relative to the section) to `T::*member`. The member's type must hold the
/// row's type: std::string for string/path/enum keys, any integer type for int keys, double for
/// float keys, bool, std::vector<std::string> for string/path lists, std::vector<int64_t>.
template <typename T, typename M>
SectionField<T> field(M T::*member, KeySpec spec) {
  return {std::move(spec),
          [member](T& t, const Value& v) {
            if (!section_detail::fits<M>(v)) return false;
            t.*member = section_detail::field_value<M>(v);
            return true;
          },
          [member](const T& t) { return section_detail::to_value<M>(t.*member); }};
}

/// The same for a field inside a member struct: field(&ProbeParams::trainer, &ProbeOptions::lr, spec).
template <typename T, typename S, typename M>
SectionField<T> field(S T::*outer, M S::*member, KeySpec spec) {
  return {std::move(spec),
          [outer, member](T& t, const Value& v) {
            if (!section_detail::fits<M>(v)) return false;
            (t.*outer).*member = section_detail::field_value<M>(v);
            return true;
          },
          [outer, member](const T& t) { return section_detail::to_value<M>((t.*outer).*member); }};
}

/// A section whose values are a T.
template <typename T>
class ConfigSection : public ConfigSectionBase {
 public:
  ConfigSection(std::string name, std::string summary, std::vector<SectionField<T>> fields)
      : ConfigSectionBase(std::move(name), std::move(summary)), fields_(std::move(fields)) {
    for (auto& f : fields_) {
      f.spec.key = this->name() + "." + f.spec.key;
      rows_.push_back(f.spec);
    }
    // Checks the rows (types, defaults in range) the way the schema does, at first use.
    Schema check(rows_);
    for (const auto& f : fields_)
      if (f.spec.default_value && !f.set(defaults_, *f.spec.default_value))
        throw std::logic_error("config section " + this->name() + ": default of " + f.spec.key + " does not fit its field");
  }

  /// The section's values in this run; the defaults of the rows when `params` holds none.
  const T& of(const Params& params) const;
  /// A T holding the default of every row (fields of required keys keep T's own initialiser).
  const T& defaults() const { return defaults_; }

  std::any fill(const Config& cfg) const override;
  nlohmann::json values_json(const Params& params) const override {
    const T& t = of(params);
    nlohmann::json j = nlohmann::json::object();
    for (const auto& f : fields_) j[f.spec.key.substr(name().size() + 1)] = value_json(f.get(t));
    return j;
  }

 private:
  std::vector<SectionField<T>> fields_;
  T defaults_{};
};

/// The values of one section as stored in Params (type-erased; ConfigSection::of casts back).
using SectionValues = std::map<std::string, std::shared_ptr<const std::any>, std::less<>>;

/// Looks up `name` in `values` (nullptr when absent).
const std::any* find_section_values(const SectionValues& values, const std::string& name);
/// The value of `key` in `cfg` and a failure at its origin, without including config.h here.
const Value& config_value(const Config& cfg, const std::string& key);
[[noreturn]] void config_fail(const Config& cfg, const std::string& key, const std::string& message);
/// The section values held by `params`.
const SectionValues& section_values_of(const Params& params);

template <typename T>
const T& ConfigSection<T>::of(const Params& params) const {
  const std::any* held = find_section_values(section_values_of(params), name());
  if (!held) return defaults_;
  return std::any_cast<const T&>(*held);
}

template <typename T>
std::any ConfigSection<T>::fill(const Config& cfg) const {
  T t = defaults_;
  for (const auto& f : fields_)
    if (!f.set(t, config_value(cfg, f.spec.key)))
      config_fail(cfg, f.spec.key, value_to_string(config_value(cfg, f.spec.key)) + " does not fit a 32-bit int");
  return std::any(std::move(t));
}

}  // namespace bertology
