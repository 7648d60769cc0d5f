#include "win_ncrypt.h"

#include <bcrypt.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "win_text.h"

// The PCP's usage policy property and its "generic key" value (sign | decrypt), as the Windows
// SDK's ncrypt.h names them; older mingw-w64 headers lack them.
#ifndef NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY
#define NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY L"PCP_KEY_USAGE_POLICY"
#endif
// BCRYPT_ECC_CURVE_NAME_PROPERTY's NCrypt name (ncrypt.h: NCRYPT_ECC_CURVE_NAME_PROPERTY).
#ifndef NCRYPT_ECC_CURVE_NAME_PROPERTY
#define NCRYPT_ECC_CURVE_NAME_PROPERTY L"ECCCurveName"
#endif
#ifndef NCRYPT_PCP_GENERIC_KEY
#define NCRYPT_PCP_GENERIC_KEY 0x00000003
#endif
#ifndef NCRYPT_PCP_SIGNATURE_KEY
#define NCRYPT_PCP_SIGNATURE_KEY 0x00000001
#endif

namespace dk {
namespace win {
namespace {

constexpr ULONG kCoordBytes = 32;

// The layout of TPM_DEVICE_INFO in the Windows SDK's tbs.h (mingw-w64's tbs.h lacks it).
struct DkTpmDeviceInfo {
  UINT32 structVersion;
  UINT32 tpmVersion;
  UINT32 tpmInterfaceType;
  UINT32 tpmImpRevision;
};
using TBS_RESULT = UINT32;

Status NcryptFailed(const char* call, SECURITY_STATUS s) {
  return Failed(call, "ncrypt", static_cast<uint32_t>(s));
}

Status Unexpected(const char* call, const char* what) {
  Status s;
  s.ok = false;
  s.error.call = call;
  s.error.reason = "unexpected-response";
  s.error.detail = what;
  return s;
}

// An NCrypt object freed when it goes out of scope (a secret, an imported public key).
struct ScopedObject {
  NCRYPT_HANDLE h = 0;
  ~ScopedObject() {
    if (h) NCryptFreeObject(h);
  }
};

Status ExportBlob(NCRYPT_KEY_HANDLE key, const wchar_t* type, Bytes* out) {
  DWORD size = 0;
  SECURITY_STATUS s = NCryptExportKey(key, 0, type, nullptr, nullptr, 0, &size, NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptExportKey", s);
  out->resize(size);
  s = NCryptExportKey(key, 0, type, nullptr, out->data(), size, &size, NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptExportKey", s);
  out->resize(size);
  return Status{};
}

// A string property, or empty when the provider has none to give (not every provider answers
// every property; what is missing is reported as missing, and TypeScript decides).
std::string StringProperty(NCRYPT_HANDLE h, const wchar_t* property) {
  DWORD size = 0;
  if (NCryptGetProperty(h, property, nullptr, 0, &size, NCRYPT_SILENT_FLAG) != ERROR_SUCCESS ||
      size < sizeof(wchar_t) || size > 4096) {
    return std::string();
  }
  std::vector<wchar_t> buf(size / sizeof(wchar_t) + 1, L'\0');
  if (NCryptGetProperty(h, property, reinterpret_cast<PBYTE>(buf.data()), size, &size,
                        NCRYPT_SILENT_FLAG) != ERROR_SUCCESS) {
    return std::string();
  }
  return Narrow(buf.data());
}

// A DWORD property, or false when the provider has none to give (as StringProperty).
bool DwordProperty(NCRYPT_HANDLE h, const wchar_t* property, uint32_t* out) {
  DWORD value = 0, size = 0;
  const bool ok = NCryptGetProperty(h, property, reinterpret_cast<PBYTE>(&value), sizeof value,
                                    &size, NCRYPT_SILENT_FLAG) == ERROR_SUCCESS &&
                  size == sizeof value;
  *out = ok ? value : 0;
  return ok;
}

Status SetDword(NCRYPT_KEY_HANDLE key, const wchar_t* property, DWORD value, DWORD flags) {
  SECURITY_STATUS s = NCryptSetProperty(key, property, reinterpret_cast<PBYTE>(&value),
                                        sizeof value, flags | NCRYPT_SILENT_FLAG);
  return s == ERROR_SUCCESS ? Status{} : NcryptFailed("NCryptSetProperty", s);
}

// NCRYPT_PIN_PROPERTY takes a NUL-terminated UTF-16 string; the caller's PIN is UTF-8 (checked
// in TypeScript: 1-32 bytes, no NUL). The PCP turns it into the TPM object's usage
// authorization; the same bytes (terminator included in cbInput, as the property is documented)
// are sent at creation and at each use, so the two always agree.
Status SetPinProperty(NCRYPT_KEY_HANDLE key, const SecretBytes& utf8Pin) {
  const auto* in = reinterpret_cast<const char*>(utf8Pin.bytes.data());
  const int inLen = static_cast<int>(utf8Pin.bytes.size());
  const int wideLen =
      inLen ? MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, in, inLen, nullptr, 0) : 0;
  if (wideLen <= 0) {
    Status st;
    st.ok = false;
    st.error.call = "MultiByteToWideChar";
    st.error.reason = "bad-argument";
    st.error.detail = "the PIN must be non-empty UTF-8";
    return st;
  }
  std::vector<wchar_t> wide(static_cast<size_t>(wideLen) + 1, L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, in, inLen, wide.data(), wideLen);
  SECURITY_STATUS s = NCryptSetProperty(key, NCRYPT_PIN_PROPERTY,
                                        reinterpret_cast<PBYTE>(wide.data()),
                                        static_cast<DWORD>(wide.size() * sizeof(wchar_t)),
                                        NCRYPT_SILENT_FLAG);
  Wipe(wide.data(), wide.size() * sizeof(wchar_t));
  return s == ERROR_SUCCESS ? Status{} : NcryptFailed("NCryptSetProperty (NCRYPT_PIN_PROPERTY)", s);
}

// The key's public blob and what the provider says of its curve, algorithm and usage.
Status Finish(std::shared_ptr<Key> key, NewKey* out) {
  Status st = ExportBlob(key->get(), BCRYPT_ECCPUBLIC_BLOB, &out->publicBlob);
  if (!st.ok) return st;
  out->curveName = StringProperty(key->get(), NCRYPT_ECC_CURVE_NAME_PROPERTY);
  out->algorithm = StringProperty(key->get(), NCRYPT_ALGORITHM_PROPERTY);
  out->name = StringProperty(key->get(), NCRYPT_NAME_PROPERTY);
  out->hasUsage = DwordProperty(key->get(), NCRYPT_KEY_USAGE_PROPERTY, &out->usage);
  out->hasPcpPolicy =
      DwordProperty(key->get(), NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY, &out->pcpPolicy);
  out->key = std::move(key);
  return Status{};
}

}  // namespace

Status Provider::Open(ProviderKind kind, std::shared_ptr<Provider>* out) {
  std::shared_ptr<Provider> p(new Provider());
  const wchar_t* name =
      kind == ProviderKind::kPlatform ? MS_PLATFORM_CRYPTO_PROVIDER : MS_KEY_STORAGE_PROVIDER;
  SECURITY_STATUS s = NCryptOpenStorageProvider(&p->handle_, name, 0);
  if (s != ERROR_SUCCESS) {
    p->handle_ = 0;
    return NcryptFailed("NCryptOpenStorageProvider", s);
  }
  *out = std::move(p);
  return Status{};
}

Provider::~Provider() {
  if (handle_) NCryptFreeObject(handle_);
}

Key::~Key() {
  if (handle_) NCryptFreeObject(handle_);
}

Status Key::Delete() {
  if (!handle_) return Unexpected("NCryptDeleteKey", "the key was already deleted or freed");
  // NCryptDeleteKey frees the handle when it succeeds. When it fails the handle is still ours
  // (.NET's CngKey.Delete marks its handle invalid only after success): keep it, so that the
  // destructor frees it rather than leaking it.
  SECURITY_STATUS s = NCryptDeleteKey(handle_, NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptDeleteKey", s);
  handle_ = 0;
  return Status{};
}

void Key::Release() {
  if (handle_) NCryptFreeObject(handle_);
  handle_ = 0;
}

Status CreateKey(const std::shared_ptr<Provider>& provider, const std::wstring& name,
                 UsagePolicy usage, const SecretBytes* pin, NewKey* out) {
  NCRYPT_KEY_HANDLE h = 0;
  SECURITY_STATUS s = NCryptCreatePersistedKey(provider->get(), &h, NCRYPT_ECDH_P256_ALGORITHM,
                                               name.empty() ? nullptr : name.c_str(), 0, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptCreatePersistedKey", s);
  auto key = std::make_shared<Key>(provider, h);
  // A named (software) key's properties are stored with it only when set with
  // NCRYPT_PERSIST_FLAG; without it a second process opening the key would not see them
  // (.NET's CngKey.Create sets both its usage and its export policy with the flag).
  const DWORD persist = name.empty() ? 0 : NCRYPT_PERSIST_FLAG;
  Status st;
  switch (usage) {
    case UsagePolicy::kKeyUsage:
      st = SetDword(h, NCRYPT_KEY_USAGE_PROPERTY,
                    NCRYPT_ALLOW_SIGNING_FLAG | NCRYPT_ALLOW_KEY_AGREEMENT_FLAG, persist);
      break;
    case UsagePolicy::kPcpGeneric:
      st = SetDword(h, NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY, NCRYPT_PCP_GENERIC_KEY, 0);
      break;
    case UsagePolicy::kSignOnly:
      st = SetDword(h, NCRYPT_KEY_USAGE_PROPERTY, NCRYPT_ALLOW_SIGNING_FLAG, persist);
      break;
    case UsagePolicy::kPcpSignature:
      st = SetDword(h, NCRYPT_PCP_KEY_USAGE_POLICY_PROPERTY, NCRYPT_PCP_SIGNATURE_KEY, 0);
      break;
  }
  // A named (software) key must never be exportable; the PCP has no export policy to set.
  if (st.ok && !name.empty()) st = SetDword(h, NCRYPT_EXPORT_POLICY_PROPERTY, 0, NCRYPT_PERSIST_FLAG);
  // The usage authorization can be set only before the key is finalized.
  if (st.ok && pin) st = SetPinProperty(h, *pin);
  if (st.ok) {
    s = NCryptFinalizeKey(h, NCRYPT_SILENT_FLAG);
    if (s != ERROR_SUCCESS) st = NcryptFailed("NCryptFinalizeKey", s);
  }
  if (st.ok && name.empty()) st = ExportBlob(h, BCRYPT_OPAQUE_KEY_BLOB, &out->blob);
  if (st.ok) st = Finish(key, out);
  if (!st.ok) {
    // Leave nothing behind in the provider; the first failure stands. A key without a name is
    // kept by nobody, so freeing it is all there is to do (a PCP may refuse to delete it).
    if (name.empty()) key->Release();
    else key->Delete();
  }
  return st;
}

Status ImportOpaqueKey(const std::shared_ptr<Provider>& provider, const Bytes& blob,
                       NewKey* out) {
  NCRYPT_KEY_HANDLE h = 0;
  SECURITY_STATUS s =
      NCryptImportKey(provider->get(), 0, BCRYPT_OPAQUE_KEY_BLOB, nullptr, &h,
                      const_cast<PBYTE>(blob.data()), static_cast<DWORD>(blob.size()),
                      NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptImportKey", s);
  return Finish(std::make_shared<Key>(provider, h), out);
}

Status OpenNamedKey(const std::shared_ptr<Provider>& provider, const std::wstring& name,
                    NewKey* out) {
  NCRYPT_KEY_HANDLE h = 0;
  SECURITY_STATUS s = NCryptOpenKey(provider->get(), &h, name.c_str(), 0, NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptOpenKey", s);
  return Finish(std::make_shared<Key>(provider, h), out);
}

Status SetKeyPin(const Key& key, const SecretBytes& utf8Pin) {
  return SetPinProperty(key.get(), utf8Pin);
}

Status SignDigest(const Key& key, const Bytes& digest, Bytes* signature) {
  signature->assign(2 * kCoordBytes, 0);
  DWORD n = 0;
  SECURITY_STATUS s = NCryptSignHash(key.get(), nullptr, const_cast<PBYTE>(digest.data()),
                                     static_cast<DWORD>(digest.size()), signature->data(),
                                     static_cast<DWORD>(signature->size()), &n, NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptSignHash", s);
  if (n != 2 * kCoordBytes) return Unexpected("NCryptSignHash", "the signature is not 64 bytes");
  return Status{};
}

Status Agree(const Key& key, const Bytes& peerPoint, SecretBytes* shared) {
  if (peerPoint.size() != 1 + 2 * kCoordBytes || peerPoint[0] != 0x04) {
    Status st;
    st.ok = false;
    st.error.reason = "bad-argument";
    st.error.detail = "the peer point must be 65 bytes, uncompressed";
    return st;
  }
  BCRYPT_ECCKEY_BLOB header{BCRYPT_ECDH_PUBLIC_P256_MAGIC, kCoordBytes};
  Bytes blob(sizeof header);
  std::memcpy(blob.data(), &header, sizeof header);
  blob.insert(blob.end(), peerPoint.begin() + 1, peerPoint.end());
  ScopedObject peer;
  SECURITY_STATUS s = NCryptImportKey(key.provider()->get(), 0, BCRYPT_ECCPUBLIC_BLOB, nullptr,
                                      &peer.h, blob.data(), static_cast<DWORD>(blob.size()),
                                      NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptImportKey", s);
  ScopedObject secret;
  s = NCryptSecretAgreement(key.get(), peer.h, &secret.h, NCRYPT_SILENT_FLAG);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptSecretAgreement", s);
  shared->bytes.assign(kCoordBytes, 0);
  DWORD n = 0;
  s = NCryptDeriveKey(secret.h, BCRYPT_KDF_RAW_SECRET, nullptr, shared->bytes.data(), kCoordBytes,
                      &n, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptDeriveKey", s);
  if (n != kCoordBytes) return Unexpected("NCryptDeriveKey", "the shared secret is not 32 bytes");
  std::reverse(shared->bytes.begin(), shared->bytes.end());
  return Status{};
}

namespace {

// tbs.dll, loaded from System32 at the first call and kept (the way go-attestation's lazy
// system DLL does): an import would keep the whole addon, and with it the store's file
// permission checks, from loading on a Windows without it.
using GetDeviceInfoFn = TBS_RESULT(WINAPI*)(UINT32, PVOID);
struct TbsEntry {
  GetDeviceInfoFn getDeviceInfo = nullptr;
  DWORD loadError = 0;
  const char* missing = nullptr;  // which step failed
};

const TbsEntry& Tbs() {
  static TbsEntry entry;
  static std::once_flag once;
  std::call_once(once, [] {
    HMODULE tbs = LoadLibraryExW(L"tbs.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!tbs) {
      entry.loadError = GetLastError();
      entry.missing = "LoadLibraryExW(tbs.dll)";
      return;
    }
    entry.getDeviceInfo = reinterpret_cast<GetDeviceInfoFn>(
        reinterpret_cast<void*>(GetProcAddress(tbs, "Tbsi_GetDeviceInfo")));
    if (!entry.getDeviceInfo) {
      entry.loadError = GetLastError();
      entry.missing = "GetProcAddress(Tbsi_GetDeviceInfo)";
    }
  });
  return entry;
}

}  // namespace

Status GetTpmDeviceInfo(TpmDeviceInfo* out) {
  const TbsEntry& tbs = Tbs();
  if (!tbs.getDeviceInfo) {
    Status st;
    st.ok = false;
    st.error.call = tbs.missing;
    st.error.reason = "tbs-missing";
    st.error.detail = "TPM Base Services (tbs.dll) is not on this Windows (Win32 error " +
                      std::to_string(tbs.loadError) + ": " + ErrorText(tbs.loadError) + ")";
    return st;
  }
  DkTpmDeviceInfo info{};
  TBS_RESULT r = tbs.getDeviceInfo(sizeof info, &info);
  if (r != 0) return Failed("Tbsi_GetDeviceInfo", "tbs", r);
  out->structVersion = info.structVersion;
  out->tpmVersion = info.tpmVersion;
  out->interfaceType = info.tpmInterfaceType;
  out->implementationRevision = info.tpmImpRevision;
  return Status{};
}

}  // namespace win
}  // namespace dk
