// Reading a whole input file, with the one-line errors users get for every input.
#pragma once

#include <string>

namespace bertology {

/// The bytes of `path`, as they are (no newline or byte-order-mark handling). `what` names the
/// expected file for messages ("a corpus file", "MCTest answers for X.tsv"). InputError:
///   "PATH: no such file" (with " (WHAT)" appended when `say_what_when_missing`),
///   "PATH: is a directory, expected WHAT", "PATH: cannot open (REASON)";
/// InternalError on a read error.
std::string read_file_bytes(const std::string& path, const std::string& what, bool say_what_when_missing = false);

}  // namespace bertology
