// Whole-file reads and atomic writes: the one place that opens, writes and renames files whole.
//
// Reads give users one-line InputErrors naming the file. Writes never leave a half-written file
// under the final name: the bytes go to a temporary beside it (unique per host, process and call,
// so concurrent runs and threads never share one) and are renamed onto the final name, which
// POSIX makes atomic within one file system. Readers therefore see the old file or the new one.
#pragma once

#include <string>
#include <string_view>

namespace bertology {

/// The bytes of `path`, as they are (no newline or byte-order-mark handling). `what` names the
/// expected file for messages ("a corpus file", "MCTest answers for X.tsv"). InputError:
///   "PATH: no such file" (with " (WHAT)" appended when `say_what_when_missing`),
///   "PATH: is a directory, expected WHAT", "PATH: cannot open (REASON)";
/// InternalError on a read error.
std::string read_file_bytes(const std::string& path, const std::string& what, bool say_what_when_missing = false);

/// read_file_bytes() with one leading UTF-8 byte-order mark (EF BB BF) removed, for text files
/// written by editors that add one. Newlines are left as they are. Same arguments and errors.
std::string read_text_file(const std::string& path, const std::string& what, bool say_what_when_missing = false);

/// A temporary file name beside `path`: "PATH.tmp.HOST.PID.N", N counting calls in this process,
/// so no two calls on any host (same file system) return the same name. Creates nothing.
std::string unique_temp_name(const std::string& path);

/// True when `file_name` (a name, or a path) looks like one of unique_temp_name()'s: it holds
/// ".tmp.". Cleanup (`bertology cache gc`) uses it to find temporaries of killed writers.
bool is_temp_name(std::string_view file_name);

/// Writes `content` to `path` atomically: a unique temporary, write, fsync, rename. On failure the
/// temporary is removed, `path` is untouched and an InternalError names the file ("TMP: cannot
/// create (REASON)", "TMP: write failed (disk full?)", "PATH: cannot rename from TMP").
void write_file_atomic(const std::string& path, std::string_view content);

/// A temporary file for writers that stream into a file themselves (HDF5, std::ofstream):
///
///   TempOutput out(final_path);
///   write_everything_to(out.path());
///   out.commit();                      // renames onto final_path
///
/// Until commit() the final name is untouched; an exception before it leaves nothing behind (the
/// destructor removes the temporary). Close the file you wrote before commit(). Not copyable.
class TempOutput {
 public:
  /// Picks unique_temp_name(final_path); creates nothing.
  explicit TempOutput(std::string final_path);
  /// Removes the temporary unless committed (errors ignored: it may never have been created).
  ~TempOutput();
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;

  /// The temporary path to write to.
  const std::string& path() const { return temp_path_; }
  /// The name the file gets on commit().
  const std::string& final_path() const { return final_path_; }
  /// Renames the temporary onto final_path(), replacing what is there. InternalError
  /// "FINAL: cannot rename from TMP (REASON)" on failure (the temporary is then removed).
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

}  // namespace bertology
