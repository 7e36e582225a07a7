#include "pipeline/util/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "pipeline/util/error.h"
#include "pipeline/util/text.h"

namespace bertology {
namespace fs = std::filesystem;

std::string read_file_bytes(const std::string& path, const std::string& what, bool say_what_when_missing) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found)
    throw InputError(say_what_when_missing ? cat(path, ": no such file (", what, ")") : cat(path, ": no such file"));
  if (status.type() == fs::file_type::directory) throw InputError(cat(path, ": is a directory, expected ", what));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  BTL_REQUIRE(f != nullptr, path, ": cannot open (", std::strerror(errno), ")");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  std::string data;
  const auto size = fs::file_size(path, ec);
  if (!ec) data.reserve(size);
  char buffer[1 << 16];
  for (;;) {
    const size_t got = std::fread(buffer, 1, sizeof(buffer), f);
    data.append(buffer, got);
    if (got < sizeof(buffer)) break;
  }
  if (std::ferror(f)) throw InternalError(cat(path, ": read error (", std::strerror(errno), ")"));
  return data;
}

std::string read_text_file(const std::string& path, const std::string& what, bool say_what_when_missing) {
  std::string data = read_file_bytes(path, what, say_what_when_missing);
  data.erase(0, data.size() - strip_utf8_bom(data).size());
  return data;
}

std::string unique_temp_name(const std::string& path) {
  // Host and pid separate processes (also on a shared file system); the counter separates
  // threads and successive writers of one process.
  static std::atomic<unsigned long long> counter{0};
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return cat(path, ".tmp.", host, ".", getpid(), ".", counter.fetch_add(1));
}

bool is_temp_name(std::string_view file_name) { return file_name.find(".tmp.") != std::string_view::npos; }

void write_file_atomic(const std::string& path, std::string_view content) {
  const std::string tmp = unique_temp_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw InternalError(cat(tmp, ": cannot create (", std::strerror(errno), ")"));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw InternalError(cat(tmp, ": write failed (disk full?)"));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) {
    ::unlink(tmp.c_str());
    throw InternalError(cat(tmp, ": write failed (disk full?)"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw InternalError(cat(path, ": cannot rename from ", tmp));
  }
}

TempOutput::TempOutput(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(unique_temp_name(final_path_)) {}

TempOutput::~TempOutput() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void TempOutput::commit() {
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp_path_.c_str());
    committed_ = true;  // nothing left to remove
    throw InternalError(cat(final_path_, ": cannot rename from ", temp_path_, " (", reason, ")"));
  }
  committed_ = true;
}

}  // namespace bertology
