#include "pipeline/config/config_section.h"

#include "pipeline/config/config.h"
#include "pipeline/config/params.h"
#include "pipeline/util/error.h"

namespace bertology {

namespace {
std::vector<const ConfigSectionBase*>& sections() {
  static std::vector<const ConfigSectionBase*> list;  // function-local: safe across static initialisers
  return list;
}
}  // namespace

void register_section(const ConfigSectionBase& section) {
  for (const ConfigSectionBase* s : sections()) {
    if (s == &section) return;
    if (s->name() == section.name())
      throw InternalError(cat("config section '", section.name(), "' is declared twice (two different sections)"));
  }
  if (schema_is_built())
    throw InternalError(cat("config section '", section.name(), "' registered after the schema was built"));
  sections().push_back(&section);
}

const std::vector<const ConfigSectionBase*>& registered_sections() { return sections(); }

nlohmann::json value_json(const Value& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

const std::any* find_section_values(const SectionValues& values, const std::string& name) {
  const auto it = values.find(name);
  return it == values.end() ? nullptr : it->second.get();
}

const Value& config_value(const Config& cfg, const std::string& key) { return cfg.get(key); }

void config_fail(const Config& cfg, const std::string& key, const std::string& message) { cfg.fail(key, message); }

const SectionValues& section_values_of(const Params& params) { return params.sections; }

}  // namespace bertology
