// Errors that bertology reports to users.
//
// Convention (faiss-style): user and data errors throw `InputError` with a one-line message that
// names the file (and line/column or key) and what is wrong; the CLI prints it and exits with
// code 2. Internal invariants use BTL_CHECK (below), assert() or `InternalError` (exit code 1).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace bertology {

/// `message` with line breaks, tabs and the other C0 control characters written as \n, \r, \t
/// and \xHH: an error that quotes bytes of a malformed file (a name in a zip, a YAML scalar)
/// still prints as one line.
inline std::string one_line(const std::string& message) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += {'\\', 'x', kHex[u >> 4], kHex[u & 15]};
    else out += c;
  }
  return out;
}

/// Bad input from the user: config, corpus, checkpoint, vocabulary. Exit code 2. The message is
/// kept on one line (one_line()).
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(one_line(message)) {}
  explicit InputError(const char* message) : InputError(std::string(message)) {}
};

/// A bug or environment failure inside bertology (I/O error, broken invariant). Exit code 1.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Concatenates any streamable values into one string: cat("x=", 3) == "x=3".
template <typename... Args>
std::string cat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

}  // namespace bertology

/// Throws InputError with the concatenated message when `cond` is false.
#define BTL_REQUIRE(cond, ...)                                  \
  do {                                                          \
    if (!(cond)) throw ::bertology::InputError(::bertology::cat(__VA_ARGS__)); \
  } while (0)

/// Throws InternalError when `cond` is false: a broken invariant inside bertology, never bad user
/// input (that is BTL_REQUIRE) nor an I/O failure (those keep their own messages). The message is
/// "FILE:LINE: internal check failed: COND" followed by ": " and the concatenated optional
/// arguments: BTL_CHECK(n > 0) or BTL_CHECK(n > 0, "n=", n).
#define BTL_CHECK(cond, ...)                                                                        \
  do {                                                                                              \
    if (!(cond))                                                                                    \
      throw ::bertology::InternalError(::bertology::cat(__FILE__, ":", __LINE__,                   \
                                                        ": internal check failed: ", #cond         \
                                                        __VA_OPT__(, ": ", ) __VA_ARGS__));         \
  } while (0)
