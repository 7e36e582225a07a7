// model.safetensors: header length, JSON header, tensor table, data offsets (model/safetensors.h).
// Returned tensors must hold exactly numel * dtype_size bytes; sizes in the header are checked
// against the file before anything is allocated (libFuzzer's -malloc_limit_mb catches the rest).
#include "fuzz/fuzz_support.h"
#include "pipeline/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string path = fuzz::write_file("model.safetensors", {reinterpret_cast<const char*>(data), size});
  fuzz::expect_clean([&] {
    std::map<std::string, std::string> metadata;
    const StateDict tensors = read_safetensors(path, &metadata);
    size_t total = 0;
    for (const auto& [name, t] : tensors) {
      FUZZ_REQUIRE(t.data.size() == static_cast<size_t>(t.numel()) * dtype_size(t.dtype), name);
      total += t.data.size();
    }
    FUZZ_REQUIRE(total <= size, "tensor bytes exceed the file");
  });
  return 0;
}
