#include "pipeline/util/cpu_affinity.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace bertology {

namespace {
/// /sys/devices/system/cpu/cpuN/topology/<name> as an integer, -1 when absent.
long topology(int cpu, const char* name) {
  std::ifstream in("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/" + name);
  long v = -1;
  if (!(in >> v)) return -1;
  return v;
}
}  // namespace

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::set<std::pair<long, long>> cores;  // (package, core)
  int cpus = 0;
  bool known = true;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    ++cpus;
    const long package = topology(c, "physical_package_id"), core = topology(c, "core_id");
    if (package < 0 || core < 0) known = false;
    cores.emplace(package, core);
  }
  return std::max(1, known ? static_cast<int>(cores.size()) : cpus);
}

}  // namespace bertology
