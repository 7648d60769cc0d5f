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
  // NCryptDeleteKey: removes the key from its provider (a persisted key's file) and frees the
  // handle. The handle is freed only when the delete succeeds (as .NET's CngKey.Delete treats
  // it); after a failure it stays valid and owned, and is freed with this object.
  Status Delete();
  // NCryptFreeObject now: for keys that have no name, which the provider does not keep (a PCP
  // key exists only as its blob), so there is nothing to delete; Chromium's unexportable keys
  // only ever free them. Later calls on this key fail.
  void Release();

 private:
  std::shared_ptr<Provider> provider_;
  NCRYPT_KEY_HANDLE handle_;
};

// What the provider says about a key. The public blob is passed on as it is: which magics and
// curves are a P-256 point is decided in TypeScript (src/backends/ncrypt-key-facts.ts), which
// also reports them (doctor, scripts/windows/pcp-report.cjs).
struct NewKey {
  std::shared_ptr<Key> key;
  Bytes publicBlob;        // BCRYPT_ECCPUBLIC_BLOB: BCRYPT_ECCKEY_BLOB header, X, Y
  std::string curveName;   // NCRYPT_ECC_CURVE_NAME_PROPERTY; empty if the provider has none
  std::string algorithm;   // NCRYPT_ALGORITHM_PROPERTY; empty if the provider has none
  bool hasUsage = false;   // whether NCRYPT_KEY_USAGE_PROPERTY could be read back
  uint32_t usage = 0;      // its value: NCRYPT_ALLOW_*_FLAG
  bool hasPcpPolicy = false;  // whether NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY could be read back
  uint32_t pcpPolicy = 0;     // its value: NCRYPT_PCP_*_KEY
  std::string name;        // NCRYPT_NAME_PROPERTY; empty if the provider has none
  Bytes blob;              // BCRYPT_OPAQUE_KEY_BLOB, for keys made without a name
};

// What a new key is allowed to do: a general key both signs and agrees; a certifying key
// (src/rooms/keys.ts) only signs, so that its usage is fixed in the key itself.
enum class UsagePolicy {
  // NCRYPT_KEY_USAGE_PROPERTY = NCRYPT_ALLOW_SIGNING_FLAG | NCRYPT_ALLOW_KEY_AGREEMENT_FLAG
  kKeyUsage,
  // NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY = NCRYPT_PCP_GENERIC_KEY (sign | decrypt in the TPM
  // object's attributes): the PCP's own property, for a PCP that refuses the first.
  kPcpGeneric,
  // Certifying keys: NCRYPT_KEY_USAGE_PROPERTY = NCRYPT_ALLOW_SIGNING_FLAG alone.
  kSignOnly,
  // Certifying keys on a PCP that refuses the key usage property: NCRYPT_PCP_SIGNATURE_KEY.
  kPcpSignature,
};

// A P-256 key made as NCRYPT_ECDH_P256_ALGORITHM with the given usage policy, so one key both
// signs and agrees (docs/windows.md says why, and what a provider that refuses does).
// `name` empty: nothing is persisted in the provider, and the key is exported as an opaque blob
// (on the PCP, wrapped by the TPM's storage key); else a persisted key of that name whose usage
// and export policy (no export) are set with NCRYPT_PERSIST_FLAG, so that every process that
// opens it sees them. A named key that fails half-way is deleted again; an unnamed one freed.
// `pin` (UTF-8, or null): set as NCRYPT_PIN_PROPERTY before NCryptFinalizeKey, so that on the PCP
// the TPM object gets a usage authorization and every later use needs the PIN (SetKeyPin).
Status CreateKey(const std::shared_ptr<Provider>& provider, const std::wstring& name,
                 UsagePolicy usage, const SecretBytes* pin, NewKey* out);
// NCRYPT_PIN_PROPERTY on an open key (UTF-8 PIN, converted to UTF-16 and wiped): the PIN for the
// operations that follow on this handle. A wrong PIN fails at the operation, not here, on the
// PCP (the TPM checks the authorization when the key is used).
Status SetKeyPin(const Key& key, const SecretBytes& utf8Pin);
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

// What TBS says about the TPM (Tbsi_GetDeviceInfo). tbs.dll is loaded at the first call, not
// imported: Windows without it (Server Core, some VMs) still loads the addon, and this fails
// with reason "tbs-missing".
struct TpmDeviceInfo {
  uint32_t structVersion = 0;
  uint32_t tpmVersion = 0;        // 1: TPM 1.2, 2: TPM 2.0
  uint32_t interfaceType = 0;     // TPM_IFTYPE_*: 1 TIS, 2 TrustZone, 3 hardware, 4 emulator, 5 SPB
  uint32_t implementationRevision = 0;
};
Status GetTpmDeviceInfo(TpmDeviceInfo* out);

}  // namespace win
}  // namespace dk
