#include "mac_keys.h"

#include <cstring>

namespace dk {
namespace macos {
namespace {

constexpr const char* kOSStatusDomain = "NSOSStatusErrorDomain";
constexpr size_t kPointBytes = 65;  // 0x04 || X || Y, P-256
constexpr size_t kDigestBytes = 32;
// A legacy (file-based) keychain deletes one matching item per SecItemDelete call; a tag of
// ours never matches more than a handful, so this bound only stops a runaway loop.
constexpr int kMaxDeletes = 64;

// The SE-wrapped key blob: kSecAttrTokenOID, which the SDK does not export. The same bytes
// CryptoKit calls SecureEnclave.P256.*.PrivateKey.dataRepresentation.
CFStringRef TokenOidKey() { return CFSTR("toid"); }

std::string MessageForStatus(OSStatus status) {
  CFRef<CFStringRef> s = CFRef<CFStringRef>::Adopt(SecCopyErrorMessageString(status, nullptr));
  std::string m = Utf8FromString(s.get());
  return m.empty() ? "OSStatus " + std::to_string(status) : m;
}

MacResult FromStatus(const char* call, OSStatus status) {
  MacResult r;
  r.ok = false;
  r.error.call = call;
  r.error.domain = kOSStatusDomain;
  r.error.status = status;
  r.error.statusText = MessageForStatus(status);
  return r;
}

// `error` may be null: some calls fail without saying why.
MacResult FromCFError(const char* call, CFErrorRef error) {
  MacResult r;
  r.ok = false;
  r.error.call = call;
  if (!error) {
    r.error.domain = kOSStatusDomain;
    r.error.status = errSecInternalComponent;
    r.error.statusText = "failed without reporting an error";
    return r;
  }
  CFStringRef domain = CFErrorGetDomain(error);  // Get rule: borrowed
  r.error.domain = Utf8FromString(domain);
  r.error.status = static_cast<int64_t>(CFErrorGetCode(error));
  if (domain && CFEqual(domain, kCFErrorDomainOSStatus)) {
    r.error.statusText = MessageForStatus(static_cast<OSStatus>(r.error.status));
  } else {
    CFRef<CFStringRef> d = CFRef<CFStringRef>::Adopt(CFErrorCopyDescription(error));
    r.error.statusText = Utf8FromString(d.get());
  }
  return r;
}

// A failure that is ours to name (the OS call "succeeded" with something unusable): one of the
// reasons of NativeError, which src/backends/osstatus.ts maps like a status.
MacResult Ours(const char* call, const char* reason, const std::string& detail) {
  MacResult r;
  r.ok = false;
  r.error.call = call;
  r.error.reason = reason;
  r.error.detail = detail;
  return r;
}

MacResult Ok() { return MacResult{}; }

CFRef<CFNumberRef> Int(int v) {
  return CFRef<CFNumberRef>::Adopt(CFNumberCreate(kCFAllocatorDefault, kCFNumberIntType, &v));
}

bool IsSecureEnclave(KeyKind kind) {
  return kind == KeyKind::kSecureEnclaveBlob || kind == KeyKind::kSecureEnclaveKeychain;
}

// kSecAccessControlPrivateKeyUsage: the key may sign, decrypt and derive; it never leaves the
// SE. A user-presence flag only when the caller asked for one (createKey's userPresence): our
// callers are background processes as often as not, and a prompt there cannot be answered.
MacResult AccessControl(bool afterFirstUnlock, UserPresence presence,
                        CFRef<SecAccessControlRef>* out) {
  CFRef<CFErrorRef> error;
  CFTypeRef protection = afterFirstUnlock ? kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
                                          : kSecAttrAccessibleWhenUnlockedThisDeviceOnly;
  SecAccessControlCreateFlags flags = kSecAccessControlPrivateKeyUsage;
  if (presence == UserPresence::kBiometry) flags |= kSecAccessControlBiometryAny;
  if (presence == UserPresence::kBiometryOrPasscode) flags |= kSecAccessControlUserPresence;
  *out = CFRef<SecAccessControlRef>::Adopt(
      SecAccessControlCreateWithFlags(kCFAllocatorDefault, protection, flags, error.OutParam()));
  if (!*out) return FromCFError("SecAccessControlCreateWithFlags", error.get());
  return Ok();
}

// The attributes shared by a key search and a key delete.
CFRef<CFMutableDictionaryRef> ItemQuery(const KeySpec& spec) {
  CFRef<CFMutableDictionaryRef> q = NewDictionary();
  CFRef<CFDataRef> tag = DataFromBytes(spec.tag);
  CFDictionarySetValue(q.get(), kSecClass, kSecClassKey);
  CFDictionarySetValue(q.get(), kSecAttrApplicationTag, tag.get());
  if (spec.kind == KeyKind::kSecureEnclaveKeychain) {
    CFDictionarySetValue(q.get(), kSecUseDataProtectionKeychain, kCFBooleanTrue);
    if (!spec.accessGroup.empty()) {
      CFRef<CFStringRef> group = StringFromUtf8(spec.accessGroup);
      CFDictionarySetValue(q.get(), kSecAttrAccessGroup, group.get());
    }
  }
  return q;
}

// How many items match `query` (a key search without any kSecReturn* or kSecMatchLimit). Asks
// for attributes only, which no keychain guards with a prompt.
MacResult CountItems(CFDictionaryRef query, CFIndex* count) {
  *count = 0;
  CFRef<CFMutableDictionaryRef> q =
      CFRef<CFMutableDictionaryRef>::Adopt(CFDictionaryCreateMutableCopy(kCFAllocatorDefault, 0, query));
  CFDictionarySetValue(q.get(), kSecReturnAttributes, kCFBooleanTrue);
  CFDictionarySetValue(q.get(), kSecMatchLimit, kSecMatchLimitAll);
  CFRef<CFTypeRef> result;
  OSStatus s = SecItemCopyMatching(q.get(), result.OutParam());
  if (s == errSecItemNotFound) return Ok();
  if (s != errSecSuccess) return FromStatus("SecItemCopyMatching", s);
  *count = result && CFGetTypeID(result.get()) == CFArrayGetTypeID()
               ? CFArrayGetCount(static_cast<CFArrayRef>(result.get()))
               : 1;
  return Ok();
}

MacResult PublicKeyFromPoint(const Bytes& point, CFRef<SecKeyRef>* out) {
  if (point.size() != kPointBytes || point[0] != 0x04) {
    return Ours("SecKeyCreateWithData", "bad-argument",
                "a P-256 public key must be 65 bytes starting with 0x04");
  }
  CFRef<CFMutableDictionaryRef> attrs = NewDictionary();
  CFRef<CFNumberRef> bits = Int(256);
  CFDictionarySetValue(attrs.get(), kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom);
  CFDictionarySetValue(attrs.get(), kSecAttrKeyClass, kSecAttrKeyClassPublic);
  CFDictionarySetValue(attrs.get(), kSecAttrKeySizeInBits, bits.get());
  CFRef<CFDataRef> data = DataFromBytes(point);
  CFRef<CFErrorRef> error;
  *out = CFRef<SecKeyRef>::Adopt(SecKeyCreateWithData(data.get(), attrs.get(), error.OutParam()));
  if (!*out) return FromCFError("SecKeyCreateWithData", error.get());
  return Ok();
}

// The public key and, for a non-permanent SE key, its blob.
MacResult Describe(const KeySpec& spec, NewKey* key) {
  MacResult r = PublicKeyOf(key->key.get(), &key->publicKey);
  if (!r.ok) return r;
  if (spec.kind != KeyKind::kSecureEnclaveBlob) return Ok();
  CFRef<CFDictionaryRef> attrs = CFRef<CFDictionaryRef>::Adopt(SecKeyCopyAttributes(key->key.get()));
  CFTypeRef blob = attrs ? CFDictionaryGetValue(attrs.get(), TokenOidKey()) : nullptr;
  if (!blob || CFGetTypeID(blob) != CFDataGetTypeID() ||
      CFDataGetLength(static_cast<CFDataRef>(blob)) == 0) {
    return Ours("SecKeyCopyAttributes", "unexpected-response",
                "the new Secure Enclave key has no \"toid\" blob, so it could not be kept "
                "(this macOS version may have changed the undocumented attribute)");
  }
  key->blob = BytesFromData(static_cast<CFDataRef>(blob));
  return Ok();
}

}  // namespace

HostInfo GetHostInfo() {
  HostInfo info;
  CFRef<SecTaskRef> task = CFRef<SecTaskRef>::Adopt(SecTaskCreateFromSelf(kCFAllocatorDefault));
  if (!task) return info;
  CFRef<CFTypeRef> value = CFRef<CFTypeRef>::Adopt(
      SecTaskCopyValueForEntitlement(task.get(), CFSTR("keychain-access-groups"), nullptr));
  if (!value || CFGetTypeID(value.get()) != CFArrayGetTypeID()) return info;
  CFArrayRef groups = static_cast<CFArrayRef>(value.get());
  for (CFIndex i = 0; i < CFArrayGetCount(groups); i++) {
    CFTypeRef g = CFArrayGetValueAtIndex(groups, i);
    if (g && CFGetTypeID(g) == CFStringGetTypeID()) {
      info.accessGroups.push_back(Utf8FromString(static_cast<CFStringRef>(g)));
    }
  }
  info.entitled = !info.accessGroups.empty();
  return info;
}

MacResult ProbeKeychain() {
  static const char kProbeTag[] = "device-keystore.probe.never-created";
  CFRef<CFMutableDictionaryRef> q = NewDictionary();
  CFRef<CFDataRef> tag =
      DataFromBytes(reinterpret_cast<const uint8_t*>(kProbeTag), sizeof(kProbeTag) - 1);
  CFDictionarySetValue(q.get(), kSecClass, kSecClassKey);
  CFDictionarySetValue(q.get(), kSecAttrApplicationTag, tag.get());
  CFDictionarySetValue(q.get(), kSecMatchLimit, kSecMatchLimitOne);
  // No kSecReturn*: the probe reads no key, so no item's access control applies. Skip-UI binds
  // only the data-protection keychain; the file (login) keychain that plain node uses ignores
  // it, and may ask to unlock itself when locked in a GUI session (docs/macos.md says so).
  CFDictionarySetValue(q.get(), kSecUseAuthenticationUI, kSecUseAuthenticationUISkip);
  OSStatus s = SecItemCopyMatching(q.get(), nullptr);
  if (s == errSecSuccess || s == errSecItemNotFound) return Ok();
  return FromStatus("SecItemCopyMatching", s);
}

MacResult CreateKey(const KeySpec& spec, NewKey* out) {
  const bool permanent = spec.kind != KeyKind::kSecureEnclaveBlob;
  if (permanent && spec.tag.empty()) {
    return Ours("SecKeyCreateRandomKey", "bad-argument", "a permanent key needs a tag");
  }
  if (spec.userPresence != UserPresence::kNone && !IsSecureEnclave(spec.kind)) {
    return Ours("SecKeyCreateRandomKey", "bad-argument",
                "user presence is set on Secure Enclave keys only");
  }
  CFRef<CFMutableDictionaryRef> attrs = NewDictionary();
  CFRef<CFMutableDictionaryRef> priv = NewDictionary();
  CFRef<CFNumberRef> bits = Int(256);
  CFDictionarySetValue(attrs.get(), kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom);
  CFDictionarySetValue(attrs.get(), kSecAttrKeySizeInBits, bits.get());
  CFDictionarySetValue(priv.get(), kSecAttrIsPermanent, permanent ? kCFBooleanTrue : kCFBooleanFalse);
  CFRef<SecAccessControlRef> access;
  if (IsSecureEnclave(spec.kind)) {
    MacResult r = AccessControl(spec.afterFirstUnlock, spec.userPresence, &access);
    if (!r.ok) return r;
    CFDictionarySetValue(attrs.get(), kSecAttrTokenID, kSecAttrTokenIDSecureEnclave);
    CFDictionarySetValue(priv.get(), kSecAttrAccessControl, access.get());
  }
  CFRef<CFDataRef> tag;
  if (permanent) {
    tag = DataFromBytes(spec.tag);
    CFDictionarySetValue(priv.get(), kSecAttrApplicationTag, tag.get());
  }
  CFRef<CFStringRef> label;
  if (!spec.label.empty()) {
    label = StringFromUtf8(spec.label);
    CFDictionarySetValue(priv.get(), kSecAttrLabel, label.get());
  }
  CFRef<CFStringRef> group;
  if (spec.kind == KeyKind::kSecureEnclaveKeychain) {
    CFDictionarySetValue(attrs.get(), kSecUseDataProtectionKeychain, kCFBooleanTrue);
    if (!spec.accessGroup.empty()) {
      group = StringFromUtf8(spec.accessGroup);
      CFDictionarySetValue(priv.get(), kSecAttrAccessGroup, group.get());
    }
  }
  CFDictionarySetValue(attrs.get(), kSecPrivateKeyAttrs, priv.get());

  CFRef<CFErrorRef> error;
  out->key = CFRef<SecKeyRef>::Adopt(SecKeyCreateRandomKey(attrs.get(), error.OutParam()));
  if (!out->key) return FromCFError("SecKeyCreateRandomKey", error.get());
  MacResult r = Describe(spec, out);
  if (!r.ok && permanent) {
    // The key is stored, but the caller gets no key to record: remove the item (its tag is
    // fresh, so nothing else carries it), and say so if that fails too.
    out->key.Reset();
    int deleted = 0;
    MacResult cleanup = DeleteKeys(spec, &deleted);
    if (!cleanup.ok) {
      std::string& words = r.error.domain.empty() ? r.error.detail : r.error.statusText;
      words += "; the keychain item it created could not be removed (" + cleanup.error.call +
               ": " + (cleanup.error.domain.empty() ? cleanup.error.detail : cleanup.error.statusText) +
               ")";
    }
  }
  return r;
}

MacResult RebuildSecureEnclaveKey(const Bytes& blob, NewKey* out) {
  if (blob.empty()) return Ours("SecKeyCreateWithData", "corrupt", "the key blob is empty");
  CFRef<CFDataRef> data = DataFromBytes(blob);
  CFRef<CFMutableDictionaryRef> attrs = NewDictionary();
  CFDictionarySetValue(attrs.get(), kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom);
  CFDictionarySetValue(attrs.get(), kSecAttrKeyClass, kSecAttrKeyClassPrivate);
  CFDictionarySetValue(attrs.get(), kSecAttrTokenID, kSecAttrTokenIDSecureEnclave);
  // Without "toid", SecKeyCreateWithData makes a brand-new SE key instead of failing (a
  // damaged "toid" fails): the caller's public-key comparison is what catches the first.
  CFDictionarySetValue(attrs.get(), TokenOidKey(), data.get());
  CFRef<CFErrorRef> error;
  out->key = CFRef<SecKeyRef>::Adopt(SecKeyCreateWithData(data.get(), attrs.get(), error.OutParam()));
  if (!out->key) return FromCFError("SecKeyCreateWithData", error.get());
  MacResult r = PublicKeyOf(out->key.get(), &out->publicKey);
  if (!r.ok) return r;
  out->blob = blob;
  return Ok();
}

MacResult FindKeys(const KeySpec& spec, std::vector<NewKey>* out) {
  if (spec.kind == KeyKind::kSecureEnclaveBlob || spec.tag.empty()) {
    return Ours("SecItemCopyMatching", "bad-argument", "only permanent keys can be found");
  }
  CFRef<CFMutableDictionaryRef> q = ItemQuery(spec);
  CFDictionarySetValue(q.get(), kSecAttrKeyClass, kSecAttrKeyClassPrivate);
  CFDictionarySetValue(q.get(), kSecReturnRef, kCFBooleanTrue);
  // The item's own attributes too: its application tag as the keychain holds it, which is what
  // TypeScript reads a key's usage from (not from the record that asked for it).
  CFDictionarySetValue(q.get(), kSecReturnAttributes, kCFBooleanTrue);
  CFDictionarySetValue(q.get(), kSecMatchLimit, kSecMatchLimitAll);
  CFRef<CFTypeRef> result;
  OSStatus s = SecItemCopyMatching(q.get(), result.OutParam());
  if (s != errSecSuccess) return FromStatus("SecItemCopyMatching", s);
  if (!result || CFGetTypeID(result.get()) != CFArrayGetTypeID()) {
    return Ours("SecItemCopyMatching", "unexpected-response", "the keychain returned no list of keys");
  }
  CFArrayRef items = static_cast<CFArrayRef>(result.get());
  for (CFIndex i = 0; i < CFArrayGetCount(items); i++) {
    CFTypeRef item = CFArrayGetValueAtIndex(items, i);
    if (!item || CFGetTypeID(item) != CFDictionaryGetTypeID()) continue;
    CFDictionaryRef attrs = static_cast<CFDictionaryRef>(item);
    CFTypeRef ref = CFDictionaryGetValue(attrs, kSecValueRef);  // Get rule: borrowed
    if (!ref || CFGetTypeID(ref) != SecKeyGetTypeID()) continue;
    NewKey k;
    k.key = CFRef<SecKeyRef>::Retain(static_cast<SecKeyRef>(const_cast<void*>(ref)));
    CFTypeRef tag = CFDictionaryGetValue(attrs, kSecAttrApplicationTag);
    if (tag && CFGetTypeID(tag) == CFDataGetTypeID()) {
      k.tag = BytesFromData(static_cast<CFDataRef>(tag));
    }
    MacResult r = PublicKeyOf(k.key.get(), &k.publicKey);
    if (!r.ok) return r;
    out->push_back(std::move(k));
  }
  return Ok();
}

MacResult DeleteKeys(const KeySpec& spec, int* deleted) {
  *deleted = 0;
  if (spec.kind == KeyKind::kSecureEnclaveBlob || spec.tag.empty()) {
    return Ours("SecItemDelete", "bad-argument", "only permanent keys can be deleted");
  }
  // No key class: the private key and any public key item stored beside it both go.
  CFRef<CFMutableDictionaryRef> q = ItemQuery(spec);
  // One SecItemDelete deletes one item in a file keychain and every match in the
  // data-protection keychain, so calls are not items: count the items, then delete them all.
  CFIndex before = 0;
  MacResult r = CountItems(q.get(), &before);
  if (!r.ok) return r;
  for (int i = 0; i < kMaxDeletes; i++) {
    OSStatus s = SecItemDelete(q.get());
    if (s == errSecItemNotFound) {
      *deleted = static_cast<int>(before);
      return Ok();
    }
    if (s != errSecSuccess) {
      CFIndex left = before;
      if (CountItems(q.get(), &left).ok && left < before) *deleted = static_cast<int>(before - left);
      return FromStatus("SecItemDelete", s);
    }
  }
  return Ours("SecItemDelete", "unexpected-response",
              "more than " + std::to_string(kMaxDeletes) + " keychain items carry this key's tag");
}

MacResult PublicKeyOf(SecKeyRef key, Bytes* out) {
  // SecKeyCopyPublicKey of a public key returns that key (retained).
  CFRef<SecKeyRef> pub = CFRef<SecKeyRef>::Adopt(SecKeyCopyPublicKey(key));
  if (!pub) return Ours("SecKeyCopyPublicKey", "unexpected-response", "the key has no public key");
  CFRef<CFErrorRef> error;
  CFRef<CFDataRef> data =
      CFRef<CFDataRef>::Adopt(SecKeyCopyExternalRepresentation(pub.get(), error.OutParam()));
  if (!data) return FromCFError("SecKeyCopyExternalRepresentation", error.get());
  *out = BytesFromData(data.get());
  if (out->size() != kPointBytes || (*out)[0] != 0x04) {
    return Ours("SecKeyCopyExternalRepresentation", "unexpected-response",
                "the public key is not a 65-byte uncompressed P-256 point");
  }
  return Ok();
}

MacResult Sign(SecKeyRef key, const Bytes& data, bool prehashed, Bytes* der) {
  if (prehashed && data.size() != kDigestBytes) {
    return Ours("SecKeyCreateSignature", "bad-argument", "a digest must be 32 bytes");
  }
  SecKeyAlgorithm alg = prehashed ? kSecKeyAlgorithmECDSASignatureDigestX962SHA256
                                  : kSecKeyAlgorithmECDSASignatureMessageX962SHA256;
  CFRef<CFDataRef> input = DataFromBytes(data);
  CFRef<CFErrorRef> error;
  CFRef<CFDataRef> sig =
      CFRef<CFDataRef>::Adopt(SecKeyCreateSignature(key, alg, input.get(), error.OutParam()));
  if (!sig) return FromCFError("SecKeyCreateSignature", error.get());
  *der = BytesFromData(sig.get());
  return Ok();
}

MacResult Ecdh(SecKeyRef key, const Bytes& peerPoint, EcdhAlgorithm algorithm, Bytes* shared) {
  CFRef<SecKeyRef> peer;
  MacResult r = PublicKeyFromPoint(peerPoint, &peer);
  if (!r.ok) return r;
  CFRef<CFMutableDictionaryRef> params = NewDictionary();  // neither raw variant takes any
  SecKeyAlgorithm alg = algorithm == EcdhAlgorithm::kCofactor
                            ? kSecKeyAlgorithmECDHKeyExchangeCofactor
                            : kSecKeyAlgorithmECDHKeyExchangeStandard;
  CFRef<CFErrorRef> error;
  CFRef<CFDataRef> z = CFRef<CFDataRef>::Adopt(
      SecKeyCopyKeyExchangeResult(key, alg, peer.get(), params.get(), error.OutParam()));
  if (!z) return FromCFError("SecKeyCopyKeyExchangeResult", error.get());
  *shared = BytesFromData(z.get());
  if (shared->size() != 32) {
    Wipe(shared);
    return Ours("SecKeyCopyKeyExchangeResult", "unexpected-response", "the shared secret is not 32 bytes");
  }
  return Ok();
}

MacResult EncryptTo(const Bytes& publicKey, const Bytes& plaintext, Bytes* out) {
  CFRef<SecKeyRef> pub;
  MacResult r = PublicKeyFromPoint(publicKey, &pub);
  if (!r.ok) return r;
  CFRef<CFDataRef> input = DataFromBytes(plaintext);
  CFRef<CFErrorRef> error;
  CFRef<CFDataRef> ct = CFRef<CFDataRef>::Adopt(SecKeyCreateEncryptedData(
      pub.get(), kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA256AESGCM, input.get(),
      error.OutParam()));
  if (!ct) return FromCFError("SecKeyCreateEncryptedData", error.get());
  *out = BytesFromData(ct.get());
  return Ok();
}

MacResult Decrypt(SecKeyRef key, const Bytes& ciphertext, Bytes* plaintext) {
  CFRef<CFDataRef> input = DataFromBytes(ciphertext);
  CFRef<CFErrorRef> error;
  CFRef<CFDataRef> pt = CFRef<CFDataRef>::Adopt(SecKeyCreateDecryptedData(
      key, kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA256AESGCM, input.get(),
      error.OutParam()));
  if (!pt) return FromCFError("SecKeyCreateDecryptedData", error.get());
  *plaintext = BytesFromData(pt.get());
  return Ok();
}

}  // namespace macos
}  // namespace dk
