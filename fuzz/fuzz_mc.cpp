// The multiple-choice readers (mcrc/mc_readers.h), one target per format: FUZZ_FORMAT "mctest"
// (the input split at "\n#####\n" into the .tsv and its .ans), "dream" (JSON), "mcscript" (the
// XML subset), "race" (one .txt JSON file in a folder). Every returned question has options and
// an answer among them.
#include <filesystem>

#include "fuzz/fuzz_support.h"
#include "pipeline/mcrc/mc_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const std::string format = FUZZ_FORMAT;
  std::string path;
  if (format == "mctest") {
    const auto [tsv, ans] = fuzz::split_at(all, "\n#####\n");
    path = fuzz::write_file("mc.dev.tsv", tsv);
    fuzz::write_file("mc.dev.ans", ans);
  } else if (format == "race") {
    std::filesystem::create_directories(fuzz::scratch_dir() / "race" / "dev");
    fuzz::write_file("race/dev/1.txt", all);
    path = (fuzz::scratch_dir() / "race").string();
  } else {
    path = fuzz::write_file(format == "dream" ? "dream.json" : "mcscript.xml", all);
  }
  fuzz::expect_clean([&] {
    const McDataset d = read_mc_dataset(path, format);
    FUZZ_REQUIRE(!d.examples.empty(), "an empty dataset must be an error");
    for (const auto& e : d.examples)
      FUZZ_REQUIRE(!e.options.empty() && e.answer >= 0 && e.answer < static_cast<int>(e.options.size()), e.origin);
  });
  return 0;
}
