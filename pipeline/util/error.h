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

/// Bad input from the user: config, corpus, checkpoint, vocabulary. Exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
