// SHA-256 through OpenSSL's EVP interface (hardware SHA extensions when present).
#include "pipeline/util/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "pipeline/util/error.h"

namespace bertology {

namespace {

std::string to_hex(const std::array<uint8_t, 32>& digest) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return hex;
}

EVP_MD_CTX* ctx_of(void* p) { return static_cast<EVP_MD_CTX*>(p); }

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw InternalError("sha256: out of memory");
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_of(ctx_)); }

void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_of(ctx_), EVP_sha256(), nullptr) != 1) throw InternalError("sha256: init failed");
}

void Sha256::update(const void* data, size_t n) {
  if (n > 0 && EVP_DigestUpdate(ctx_of(ctx_), data, n) != 1) throw InternalError("sha256: update failed");
}

std::array<uint8_t, 32> Sha256::final() {
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_of(ctx_), digest.data(), &len) != 1 || len != 32)
    throw InternalError("sha256: final failed");
  reset();
  return digest;
}

std::string Sha256::final_hex() { return to_hex(final()); }

std::string sha256_hex(const void* data, size_t n) {
  Sha256 h;
  h.update(data, n);
  return h.final_hex();
}

std::string sha256_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  BTL_REQUIRE(f != nullptr, path, ": cannot open for hashing (", std::strerror(errno), ")");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[1 << 20]);
  Sha256 h;
  for (;;) {
    const size_t got = std::fread(buffer.get(), 1, 1 << 20, f);
    h.update(buffer.get(), got);
    if (got < (1 << 20)) break;
  }
  if (std::ferror(f)) throw InternalError(cat(path, ": read error while hashing (",
                                             std::strerror(errno), ")"));
  return h.final_hex();
}

}  // namespace bertology
