// The few primitives a TPM HMAC session needs (SHA-256, HMAC, the TPM's KDFa/KDFe, AES-128-CFB,
// one ephemeral P-256 ECDH per session), from the system libcrypto that tss2-esys already loads.
// Why not ESAPI's own session code: tss2-esys 3.2 makes an OpenSSL library context for every
// crypto operation, which turns a 0.55 ms signature into 3.4-4.2 ms (DESIGN.md §7). The
// low-level libcrypto calls used here fetch nothing and cost microseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "../common/secret.h"

namespace dk {

// libcrypto's functions, resolved once with dlopen (libcrypto.so.3, else .so.1.1).
struct LibcryptoApi;

struct LibcryptoLoad {
  bool ok = false;
  std::string error;
  const LibcryptoApi* api = nullptr;
};
const LibcryptoLoad& LoadLibcrypto();

class SessionCrypto {
 public:
  explicit SessionCrypto(const LibcryptoApi& api) : api_(api) {}

  void Sha256(const uint8_t* data, size_t n, uint8_t out[32]) const;
  // One SHA-256 over several pieces.
  struct Piece {
    const uint8_t* data;
    size_t size;
  };
  void Sha256(std::initializer_list<Piece> pieces, uint8_t out[32]) const;
  void HmacSha256(const Bytes& key, std::initializer_list<Piece> pieces, uint8_t out[32]) const;
  // TPM 2.0 Part 1 §11.4.10.2 KDFa with SHA-256; `label` without its terminating zero.
  Bytes KdfA(const Bytes& key, const char* label, const Bytes& contextU, const Bytes& contextV,
             size_t bits) const;
  // AES-128 in CFB-128 mode, in place; `encrypt` false decrypts.
  bool AesCfb(const uint8_t key[16], const uint8_t iv[16], uint8_t* data, size_t n,
              bool encrypt) const;
  bool Random(uint8_t* out, size_t n) const;
  // The salt of a session started with an ECC P-256 tpmKey (Part 1 §C.6.1, KDFe over an
  // ephemeral ECDH): fills the ephemeral public point to send, and the 32-byte salt to keep.
  bool EccSalt(const Bytes& tpmX, const Bytes& tpmY, Bytes* ephemeralX, Bytes* ephemeralY,
               SecretBytes* salt) const;

 private:
  const LibcryptoApi& api_;
};

}  // namespace dk
