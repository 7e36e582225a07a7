#include "pipeline/model/checkpoint_files.h"

#include <filesystem>

#include "pipeline/model/safetensors.h"
#include "pipeline/model/torch_bin.h"
#include "pipeline/util/error.h"

namespace fs = std::filesystem;

namespace bertology {

std::string checkpoint_weights_file(const std::string& dir) {
  for (const char* name : {"model.safetensors", "pytorch_model.bin"})
    if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  throw InputError(cat(dir, ": no weights (expected model.safetensors or pytorch_model.bin)"));
}

StateDict read_checkpoint_weights(const std::string& dir, std::string* file) {
  const std::string path = checkpoint_weights_file(dir);
  if (file) *file = path;
  return fs::path(path).extension() == ".safetensors" ? read_safetensors(path) : read_torch_bin(path);
}

}  // namespace bertology
