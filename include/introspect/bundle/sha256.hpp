#pragma once
//! SHA-256 through OpenSSL's EVP interface (libcrypto; SHA-NI where the CPU has it), for the
//! checksums a support bundle's manifest lists for every member.
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>

namespace introspect::inline v1::bundle {

//! An incremental SHA-256: update() with the bytes, hex() once at the end.
class sha256 {
 public:
  sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256: OpenSSL could not start a digest");
  }
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  //! The digest as 64 lowercase hex digits (the context is finished).
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out.push_back(digits[md[i] >> 4]);
      out.push_back(digits[md[i] & 15]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace introspect::inline v1::bundle
