// YAML configs and schema validation (config/config.h), and `--set` strings: the input is a
// config file up to "\n#####\n", then one override per line. params_from_config() must accept
// whatever validated.
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "pipeline/config/config.h"
#include "pipeline/config/params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const auto [yaml, sets] = fuzz::split_at(all, "\n#####\n");
  const std::string path = fuzz::write_file("study.yaml", yaml);
  std::vector<std::string> overrides;
  std::istringstream lines{std::string(sets)};
  for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  fuzz::expect_clean([&] {
    const Config config = Config::load({path}, overrides);
    params_from_config(config);
    const std::string dump = config.dump();
    const Config again = Config::from_string(dump, "dump");
    FUZZ_REQUIRE(again.dump() == dump, "loading the dump gives another dump");
  });
  return 0;
}
