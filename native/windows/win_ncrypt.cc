#include "win_ncrypt.h"

#include <bcrypt.h>
#include <tbs.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "win_text.h"

// Tbsi_GetDeviceInfo is in tbs.dll since Windows 8, but mingw-w64's tbs.h does not declare it;
// the layout is that of TPM_DEVICE_INFO in the Windows SDK's tbs.h.
extern "C" {
struct DkTpmDeviceInfo {
  UINT32 structVersion;
  UINT32 tpmVersion;
  UINT32 tpmInterfaceType;
  UINT32 tpmImpRevision;
};
TBS_RESULT WINAPI Tbsi_GetDeviceInfo(UINT32 Size, PVOID Info);
}

namespace dk {
namespace win {
namespace {

constexpr ULONG kCoordBytes = 32;

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

Status PublicKeyOf(NCRYPT_KEY_HANDLE key, Bytes* out) {
  DWORD size = 0;
  SECURITY_STATUS s = NCryptExportKey(key, 0, BCRYPT_ECCPUBLIC_BLOB, nullptr, nullptr, 0, &size, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptExportKey", s);
  Bytes blob(size);
  s = NCryptExportKey(key, 0, BCRYPT_ECCPUBLIC_BLOB, nullptr, blob.data(), size, &size, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptExportKey", s);
  BCRYPT_ECCKEY_BLOB header;
  if (size != sizeof header + 2 * kCoordBytes) {
    return Unexpected("NCryptExportKey", "the public key blob is not a P-256 point");
  }
  std::memcpy(&header, blob.data(), sizeof header);
  if (header.cbKey != kCoordBytes || (header.dwMagic != BCRYPT_ECDH_PUBLIC_P256_MAGIC &&
                                      header.dwMagic != BCRYPT_ECDSA_PUBLIC_P256_MAGIC)) {
    return Unexpected("NCryptExportKey", "the public key blob is not a P-256 point");
  }
  out->assign(1, 0x04);
  out->insert(out->end(), blob.begin() + sizeof header, blob.begin() + size);
  return Status{};
}

Status ExportOpaque(NCRYPT_KEY_HANDLE key, Bytes* out) {
  DWORD size = 0;
  SECURITY_STATUS s = NCryptExportKey(key, 0, BCRYPT_OPAQUE_KEY_BLOB, nullptr, nullptr, 0, &size, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptExportKey", s);
  out->resize(size);
  s = NCryptExportKey(key, 0, BCRYPT_OPAQUE_KEY_BLOB, nullptr, out->data(), size, &size, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptExportKey", s);
  out->resize(size);
  return Status{};
}

Status SetDword(NCRYPT_KEY_HANDLE key, const wchar_t* property, DWORD value, DWORD flags) {
  SECURITY_STATUS s = NCryptSetProperty(key, property, reinterpret_cast<PBYTE>(&value),
                                        sizeof value, flags | NCRYPT_SILENT_FLAG);
  return s == ERROR_SUCCESS ? Status{} : NcryptFailed("NCryptSetProperty", s);
}

// The key's public point, then the new-key result.
Status Finish(std::shared_ptr<Key> key, NewKey* out) {
  Status st = PublicKeyOf(key->get(), &out->publicKey);
  if (!st.ok) return st;
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
  NCRYPT_KEY_HANDLE h = handle_;
  // NCryptDeleteKey frees the handle. Whether it does when it fails is not documented; the
  // handle is dropped either way, since a leaked handle is safer than one freed twice.
  handle_ = 0;
  if (!h) return Unexpected("NCryptDeleteKey", "the key was already deleted");
  SECURITY_STATUS s = NCryptDeleteKey(h, NCRYPT_SILENT_FLAG);
  return s == ERROR_SUCCESS ? Status{} : NcryptFailed("NCryptDeleteKey", s);
}

Status CreateKey(const std::shared_ptr<Provider>& provider, const std::wstring& name,
                 NewKey* out) {
  NCRYPT_KEY_HANDLE h = 0;
  SECURITY_STATUS s = NCryptCreatePersistedKey(provider->get(), &h, NCRYPT_ECDH_P256_ALGORITHM,
                                               name.empty() ? nullptr : name.c_str(), 0, 0);
  if (s != ERROR_SUCCESS) return NcryptFailed("NCryptCreatePersistedKey", s);
  auto key = std::make_shared<Key>(provider, h);
  Status st = SetDword(h, NCRYPT_KEY_USAGE_PROPERTY,
                       NCRYPT_ALLOW_SIGNING_FLAG | NCRYPT_ALLOW_KEY_AGREEMENT_FLAG, 0);
  // A named (software) key must never be exportable; the PCP has no export policy to set.
  if (st.ok && !name.empty()) st = SetDword(h, NCRYPT_EXPORT_POLICY_PROPERTY, 0, NCRYPT_PERSIST_FLAG);
  if (st.ok) {
    s = NCryptFinalizeKey(h, NCRYPT_SILENT_FLAG);
    if (s != ERROR_SUCCESS) st = NcryptFailed("NCryptFinalizeKey", s);
  }
  if (st.ok && name.empty()) st = ExportOpaque(h, &out->blob);
  if (st.ok) st = Finish(key, out);
  if (!st.ok) key->Delete();  // leave nothing behind in the provider; the first failure stands
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

Status GetTpmDeviceInfo(TpmDeviceInfo* out) {
  DkTpmDeviceInfo info{};
  TBS_RESULT r = Tbsi_GetDeviceInfo(sizeof info, &info);
  if (r != 0) return Failed("Tbsi_GetDeviceInfo", "tbs", r);
  out->structVersion = info.structVersion;
  out->tpmVersion = info.tpmVersion;
  out->interfaceType = info.tpmInterfaceType;
  out->implementationRevision = info.tpmImpRevision;
  return Status{};
}

}  // namespace win
}  // namespace dk
