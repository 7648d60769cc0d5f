// The NCrypt calls of the Windows tiers, without any Node-API: every failure is a Status with
// the call, domain "ncrypt" (a SECURITY_STATUS) or "tbs" (a TBS_RESULT), the raw number and the
// system's text for it. Which provider, which key and what to make of a failure is decided in
// TypeScript (src/backends/windows.ts, src/backends/ncrypt-status.ts).
//
// Every call passes NCRYPT_SILENT_FLAG where the API takes it: a provider that would need to
// show UI fails with NTE_SILENT_CONTEXT instead. These functions block (a TPM can take a second
// per command), so they run on a SerialQueue worker thread, never on the JS thread.
#pragma once

#include <windows.h>
#include <ncrypt.h>

#include <cstdint>
#include <memory>
#include <string>

#include "../common/secret.h"
#include "../common/status.h"

namespace dk {
namespace win {

enum class ProviderKind {
  kPlatform,  // MS_PLATFORM_CRYPTO_PROVIDER: keys inside the TPM
  kSoftware,  // MS_KEY_STORAGE_PROVIDER: software keys under the user's profile (DPAPI)
};

// An open key storage provider, freed by its last owner (the JS object and every key of it).
class Provider {
 public:
  static Status Open(ProviderKind kind, std::shared_ptr<Provider>* out);
  ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;
  NCRYPT_PROV_HANDLE get() const { return handle_; }

 private:
  Provider() = default;
  NCRYPT_PROV_HANDLE handle_ = 0;
};

// A key handle; the last owner frees it, keeping its provider open until then.
class Key {
 public:
  Key(std::shared_ptr<Provider> provider, NCRYPT_KEY_HANDLE handle)
      : provider_(std::move(provider)), handle_(handle) {}
  ~Key();
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  NCRYPT_KEY_HANDLE get() const { return handle_; }
  const std::shared_ptr<Provider>& provider() const { return provider_; }
  // NCryptDeleteKey: removes the key from its provider (a persisted key's file, a TPM key's
  // handle) and frees the handle; the handle is dropped even if it fails, and later calls on
  // this key fail.
  Status Delete();

 private:
  std::shared_ptr<Provider> provider_;
  NCRYPT_KEY_HANDLE handle_;
};

struct NewKey {
  std::shared_ptr<Key> key;
  Bytes publicKey;  // 65 bytes, uncompressed SEC1
  Bytes blob;       // BCRYPT_OPAQUE_KEY_BLOB, for keys made without a name
};

// A P-256 key made as NCRYPT_ECDH_P256_ALGORITHM with usage signing | key agreement, so one key
// both signs and agrees (docs/windows.md says why, and what a provider that refuses does).
// `name` empty: nothing is persisted in the provider, and the key is exported as an opaque blob
// (on the PCP, wrapped by the TPM's storage key); else a persisted key of that name whose export
// policy allows no export. A key that fails half-way is deleted again.
Status CreateKey(const std::shared_ptr<Provider>& provider, const std::wstring& name,
                 NewKey* out);
// Loads a key from the opaque blob CreateKey exported.
Status ImportOpaqueKey(const std::shared_ptr<Provider>& provider, const Bytes& blob,
                       NewKey* out);
// Opens a persisted key by name.
Status OpenNamedKey(const std::shared_ptr<Provider>& provider, const std::wstring& name,
                    NewKey* out);
// NCryptSignHash over a 32-byte digest: r || s, 64 bytes.
Status SignDigest(const Key& key, const Bytes& digest, Bytes* signature);
// ECDH with a 65-byte uncompressed point (validated by the caller): the shared x-coordinate,
// 32 bytes big-endian (BCRYPT_KDF_RAW_SECRET gives it little-endian).
Status Agree(const Key& key, const Bytes& peerPoint, SecretBytes* shared);

// What TBS says about the TPM (Tbsi_GetDeviceInfo).
struct TpmDeviceInfo {
  uint32_t structVersion = 0;
  uint32_t tpmVersion = 0;        // 1: TPM 1.2, 2: TPM 2.0
  uint32_t interfaceType = 0;     // TPM_IFTYPE_*: 1 TIS, 2 TrustZone, 3 hardware, 4 emulator, 5 SPB
  uint32_t implementationRevision = 0;
};
Status GetTpmDeviceInfo(TpmDeviceInfo* out);

}  // namespace win
}  // namespace dk
