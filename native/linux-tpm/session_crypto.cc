#include "glibc_compat.h"

#include "session_crypto.h"
#include "tss2_api.h"

#include <dlfcn.h>

#include <cstring>

namespace dk {

// Declared here rather than from OpenSSL's headers: Electron's headers carry BoringSSL's, and
// these low-level calls (and the two structures we allocate) have kept their ABI from 1.1 to 3.x.
extern "C" {
struct dk_ec_key;
struct dk_ec_group;
struct dk_ec_point;
// SHA256_CTX: h[8], Nl, Nh, data[16], num, md_len (unsigned ints), 112 bytes; room to spare.
struct dk_sha256_ctx {
  alignas(16) unsigned char bytes[256];
};
// AES_KEY: rd_key[60] (unsigned int) and rounds (int), 244 bytes; room to spare.
struct dk_aes_key {
  alignas(16) unsigned char bytes[512];
};
}

#define DK_LIBCRYPTO_FUNCTIONS(X)                                                               \
  X(SHA256_Init, int (*)(dk_sha256_ctx*))                                                       \
  X(SHA256_Update, int (*)(dk_sha256_ctx*, const void*, size_t))                                \
  X(SHA256_Final, int (*)(unsigned char*, dk_sha256_ctx*))                                      \
  X(AES_set_encrypt_key, int (*)(const unsigned char*, int, dk_aes_key*))                       \
  X(AES_cfb128_encrypt, void (*)(const unsigned char*, unsigned char*, size_t,                  \
                                 const dk_aes_key*, unsigned char*, int*, int))                 \
  X(RAND_bytes, int (*)(unsigned char*, int))                                                   \
  X(EC_KEY_new_by_curve_name, dk_ec_key* (*)(int))                                              \
  X(EC_KEY_free, void (*)(dk_ec_key*))                                                          \
  X(EC_KEY_generate_key, int (*)(dk_ec_key*))                                                   \
  X(EC_KEY_get0_group, const dk_ec_group* (*)(const dk_ec_key*))                                \
  X(EC_KEY_get0_public_key, const dk_ec_point* (*)(const dk_ec_key*))                           \
  X(EC_POINT_new, dk_ec_point* (*)(const dk_ec_group*))                                         \
  X(EC_POINT_free, void (*)(dk_ec_point*))                                                      \
  X(EC_POINT_oct2point,                                                                         \
    int (*)(const dk_ec_group*, dk_ec_point*, const unsigned char*, size_t, void*))             \
  X(EC_POINT_point2oct,                                                                         \
    size_t (*)(const dk_ec_group*, const dk_ec_point*, int, unsigned char*, size_t, void*))     \
  X(ECDH_compute_key, int (*)(void*, size_t, const dk_ec_point*, const dk_ec_key*, void*))

template <typename T>
using FnPtr = T;

struct LibcryptoApi {
#define DK_DECLARE_FN(name, type) FnPtr<type> name = nullptr;
  DK_LIBCRYPTO_FUNCTIONS(DK_DECLARE_FN)
#undef DK_DECLARE_FN
};

namespace {

constexpr int kNidP256 = 415;            // NID_X9_62_prime256v1
constexpr int kUncompressed = 4;         // POINT_CONVERSION_UNCOMPRESSED
constexpr int kAesEncrypt = 1, kAesDecrypt = 0;

LibcryptoLoad DoLoad() {
  LibcryptoLoad result;
  void* handle = nullptr;
  // The one tss2-esys links, already in the process by then; opened the way tss2 is (LOCAL,
  // DEEPBIND), so that its own references never bind to the OpenSSL inside node (or Electron's
  // BoringSSL), which export the same names.
  for (const char* soname : {"libcrypto.so.3", "libcrypto.so.1.1"}) {
    handle = dlopen(soname, Tss2DlopenFlags());
    if (handle) break;
  }
  if (!handle) {
    result.error = "libcrypto.so.3 not found (install libssl3, which tss2-esys depends on)";
    return result;
  }
  auto* api = new LibcryptoApi();
#define DK_RESOLVE_FN(name, type)                                                  \
  api->name = reinterpret_cast<FnPtr<type>>(dlsym(handle, #name));                        \
  if (!api->name) {                                                                \
    result.error = "symbol " #name " missing from libcrypto";                      \
    delete api;                                                                    \
    return result;                                                                 \
  }
  DK_LIBCRYPTO_FUNCTIONS(DK_RESOLVE_FN)
#undef DK_RESOLVE_FN
  result.ok = true;
  result.api = api;
  return result;
}

void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

const LibcryptoLoad& LoadLibcrypto() {
  static const LibcryptoLoad* loaded = new LibcryptoLoad(DoLoad());
  return *loaded;
}

void SessionCrypto::Sha256(const uint8_t* data, size_t n, uint8_t out[32]) const {
  Sha256({{data, n}}, out);
}

void SessionCrypto::Sha256(std::initializer_list<Piece> pieces, uint8_t out[32]) const {
  dk_sha256_ctx ctx;
  api_.SHA256_Init(&ctx);
  for (const Piece& p : pieces) {
    if (p.size) api_.SHA256_Update(&ctx, p.data, p.size);
  }
  api_.SHA256_Final(out, &ctx);
  Wipe(&ctx, sizeof(ctx));
}

void SessionCrypto::HmacSha256(const Bytes& key, std::initializer_list<Piece> pieces,
                               uint8_t out[32]) const {
  uint8_t block[64] = {};
  if (key.size() > sizeof(block)) {
    Sha256(key.data(), key.size(), block);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[64];
  for (size_t i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
  dk_sha256_ctx ctx;
  api_.SHA256_Init(&ctx);
  api_.SHA256_Update(&ctx, pad, 64);
  for (const Piece& p : pieces) {
    if (p.size) api_.SHA256_Update(&ctx, p.data, p.size);
  }
  uint8_t inner[32];
  api_.SHA256_Final(inner, &ctx);
  for (size_t i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
  Sha256({{pad, 64}, {inner, 32}}, out);
  Wipe(block, sizeof(block));
  Wipe(pad, sizeof(pad));
  Wipe(inner, sizeof(inner));
  Wipe(&ctx, sizeof(ctx));
}

Bytes SessionCrypto::KdfA(const Bytes& key, const char* label, const Bytes& contextU,
                          const Bytes& contextV, size_t bits) const {
  Bytes out;
  const size_t want = (bits + 7) / 8;
  uint8_t bitsBe[4];
  PutU32(bitsBe, static_cast<uint32_t>(bits));
  // The label's terminating zero is part of the input.
  const Piece labelPiece{reinterpret_cast<const uint8_t*>(label), std::strlen(label) + 1};
  for (uint32_t counter = 1; out.size() < want; counter++) {
    uint8_t counterBe[4];
    PutU32(counterBe, counter);
    uint8_t block[32];
    HmacSha256(key,
               {{counterBe, 4}, labelPiece, {contextU.data(), contextU.size()},
                {contextV.data(), contextV.size()}, {bitsBe, 4}},
               block);
    out.insert(out.end(), block, block + 32);
    Wipe(block, sizeof(block));
  }
  out.resize(want);
  return out;
}

bool SessionCrypto::AesCfb(const uint8_t key[16], const uint8_t iv[16], uint8_t* data, size_t n,
                           bool encrypt) const {
  dk_aes_key aes;
  if (api_.AES_set_encrypt_key(key, 128, &aes) != 0) return false;
  uint8_t ivCopy[16];
  std::memcpy(ivCopy, iv, 16);
  int num = 0;
  api_.AES_cfb128_encrypt(data, data, n, &aes, ivCopy, &num, encrypt ? kAesEncrypt : kAesDecrypt);
  Wipe(&aes, sizeof(aes));
  Wipe(ivCopy, sizeof(ivCopy));
  return true;
}

bool SessionCrypto::Random(uint8_t* out, size_t n) const {
  return api_.RAND_bytes(out, static_cast<int>(n)) == 1;
}

bool SessionCrypto::EccSalt(const Bytes& tpmX, const Bytes& tpmY, Bytes* ephemeralX,
                            Bytes* ephemeralY, SecretBytes* salt) const {
  if (tpmX.size() != 32 || tpmY.size() != 32) return false;
  dk_ec_key* eph = api_.EC_KEY_new_by_curve_name(kNidP256);
  if (!eph) return false;
  bool ok = false;
  dk_ec_point* peer = nullptr;
  uint8_t z[32];
  do {
    if (api_.EC_KEY_generate_key(eph) != 1) break;
    const dk_ec_group* group = api_.EC_KEY_get0_group(eph);
    uint8_t point[65];
    point[0] = 0x04;
    std::memcpy(point + 1, tpmX.data(), 32);
    std::memcpy(point + 33, tpmY.data(), 32);
    peer = api_.EC_POINT_new(group);
    // oct2point checks that the point is on the curve.
    if (!peer || api_.EC_POINT_oct2point(group, peer, point, sizeof(point), nullptr) != 1) break;
    if (api_.ECDH_compute_key(z, sizeof(z), peer, eph, nullptr) != 32) break;
    uint8_t mine[65];
    if (api_.EC_POINT_point2oct(group, api_.EC_KEY_get0_public_key(eph), kUncompressed, mine,
                                sizeof(mine), nullptr) != sizeof(mine)) {
      break;
    }
    ephemeralX->assign(mine + 1, mine + 33);
    ephemeralY->assign(mine + 33, mine + 65);
    // KDFe(SHA-256, Z, "SECRET", ephemeral x, tpmKey x, 256): one block.
    static const char kLabel[] = "SECRET";
    uint8_t counter[4] = {0, 0, 0, 1};
    salt->bytes.assign(32, 0);
    Sha256({{counter, 4},
            {z, sizeof(z)},
            {reinterpret_cast<const uint8_t*>(kLabel), sizeof(kLabel)},
            {ephemeralX->data(), 32},
            {tpmX.data(), 32}},
           salt->bytes.data());
    ok = true;
  } while (false);
  Wipe(z, sizeof(z));
  if (peer) api_.EC_POINT_free(peer);
  api_.EC_KEY_free(eph);  // clears the ephemeral private key
  return ok;
}

}  // namespace dk
