#include "pipeline/dist/device_rule.h"

#include <cstdlib>

#include "pipeline/util/error.h"

namespace bertology {

int local_rank_from_env() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "LOCAL_RANK"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    char* end = nullptr;
    const long r = std::strtol(v, &end, 10);
    if (*end == '\0' && r >= 0 && r < (1 << 20)) return static_cast<int>(r);
  }
  return 0;
}

std::string resolve_device(const std::string& device, int local_rank, int visible_gpus) {
  if (device == "cpu") return device;
  const bool any = device == "cuda";
  const bool indexed = device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
                       device.find_first_not_of("0123456789", 5) == std::string::npos && device.size() <= 9;
  BTL_REQUIRE(any || indexed, "model.device '", device, "': expected cpu, cuda or cuda:N");
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  BTL_REQUIRE(visible_gpus > 0, "model.device '", device, "': no CUDA device is visible to this rank (",
              visible ? cat("CUDA_VISIBLE_DEVICES='", visible, "'") : std::string("CUDA_VISIBLE_DEVICES unset"),
              "), or this build of bertology has no CUDA (scripts/setup.sh --cuda builds build-cuda/)");
  if (any) return cat("cuda:", local_rank % visible_gpus);
  const int n = std::atoi(device.c_str() + 5);
  BTL_REQUIRE(n < visible_gpus, "model.device '", device, "': this rank sees ", visible_gpus, " CUDA device",
              visible_gpus == 1 ? "" : "s", " (cuda:0", visible_gpus > 1 ? cat("..cuda:", visible_gpus - 1) : "", ")");
  return cat("cuda:", n);  // "cuda:01" -> "cuda:1"
}

}  // namespace bertology
