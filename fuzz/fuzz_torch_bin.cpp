// pytorch_model.bin: zip (and ZIP64) container, the pickle subset, storages and their views
// (model/torch_bin.h, io/zip_reader.h). Nothing is executed; returned tensors must be consistent.
#include "fuzz/fuzz_support.h"
#include "pipeline/model/torch_bin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string path = fuzz::write_file("pytorch_model.bin", {reinterpret_cast<const char*>(data), size});
  fuzz::expect_clean([&] {
    const StateDict tensors = read_torch_bin(path);
    for (const auto& [name, t] : tensors)
      FUZZ_REQUIRE(t.data.size() == static_cast<size_t>(t.numel()) * dtype_size(t.dtype), name);
  });
  return 0;
}
