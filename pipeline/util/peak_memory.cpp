#include "pipeline/util/peak_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace bertology {
namespace {

/// A "Name:   1234 kB" line of /proc/self/status, in bytes (0 when absent).
int64_t status_kib_field(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, name.size(), name) != 0 || line.size() <= name.size() || line[name.size()] != ':') continue;
    std::istringstream fields(line.substr(name.size() + 1));
    int64_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return 0;
}

int64_t stage_start_rss = 0;  // mark_stage_start()

}  // namespace

void mark_stage_start() { stage_start_rss = current_rss_bytes(); }

int64_t stage_start_rss_bytes() { return stage_start_rss; }

int64_t peak_rss_bytes() { return status_kib_field("VmHWM"); }

int64_t current_rss_bytes() { return status_kib_field("VmRSS"); }

bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

}  // namespace bertology
