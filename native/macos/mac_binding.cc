// JS <-> C++ for the macOS tiers: argument checks, copies off the JS heap, and work queued on
// one worker thread per MacSecurity object through the common async pattern
// (native/common/async_work.h). Failures carry the raw OSStatus / CFError up to
// src/backends/osstatus.ts. The Security.framework calls themselves are in mac_keys.cc.
#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../common/addon.h"
#include "../common/async_work.h"
#include "../common/errors.h"
#include "../common/serial_queue.h"
#include "mac_init.h"
#include "mac_keys.h"

namespace dk {
namespace macos {
namespace {

// Marks the externals that hold our keys, so that no other external is taken for one.
const napi_type_tag kKeyTypeTag = {0x6465766963656b65ULL, 0x79737465726d6163ULL};

constexpr size_t kMaxInput = 64 * 1024 * 1024;
constexpr size_t kMaxTag = 256;
constexpr size_t kMaxBlob = 16 * 1024;

// A private key, shared by its JS external and by the operations queued on it. The last owner
// releases it, on whichever thread that is (CFRelease is thread-safe).
struct KeyBox {
  CFRef<SecKeyRef> key;
};
using KeyPtr = std::shared_ptr<KeyBox>;

// ---- argument conversion -----------------------------------------------------------------

bool OptionalBool(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) ThrowInvalidArgument(o.Env(), std::string(name) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string OptionalString(const Napi::Object& o, const char* name, size_t maxLen) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return "";
  if (!v.IsString()) ThrowInvalidArgument(o.Env(), std::string(name) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.size() > maxLen) ThrowInvalidArgument(o.Env(), std::string(name) + " is too long");
  return s;
}

// { kind: 'se-blob' | 'se-keychain' | 'keychain', tag?, label?, afterFirstUnlock?, accessGroup?,
//   userPresence?: 'biometry' | 'biometry-or-passcode' }
KeySpec ToSpec(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) ThrowInvalidArgument(env, "the key spec must be an object");
  Napi::Object o = v.As<Napi::Object>();
  KeySpec spec;
  const std::string kind = OptionalString(o, "kind", 32);
  if (kind == "se-blob") {
    spec.kind = KeyKind::kSecureEnclaveBlob;
  } else if (kind == "se-keychain") {
    spec.kind = KeyKind::kSecureEnclaveKeychain;
  } else if (kind == "keychain") {
    spec.kind = KeyKind::kKeychain;
  } else {
    ThrowInvalidArgument(env, "kind must be se-blob, se-keychain or keychain");
  }
  if (!o.Get("tag").IsUndefined()) spec.tag = CopyBytes(o.Get("tag"), "tag", kMaxTag);
  if (spec.kind != KeyKind::kSecureEnclaveBlob && spec.tag.empty()) {
    ThrowInvalidArgument(env, "a permanent key needs a non-empty tag");
  }
  spec.label = OptionalString(o, "label", 1024);
  spec.afterFirstUnlock = OptionalBool(o, "afterFirstUnlock");
  spec.accessGroup = OptionalString(o, "accessGroup", 1024);
  const std::string presence = OptionalString(o, "userPresence", 32);
  if (presence == "biometry") {
    spec.userPresence = UserPresence::kBiometry;
  } else if (presence == "biometry-or-passcode") {
    spec.userPresence = UserPresence::kBiometryOrPasscode;
  } else if (!presence.empty()) {
    ThrowInvalidArgument(env, "userPresence must be biometry or biometry-or-passcode");
  }
  return spec;
}

Napi::Value WrapKey(Napi::Env env, KeyPtr key) {
  auto* holder = new KeyPtr(std::move(key));
  auto ext = Napi::External<KeyPtr>::New(env, holder, [](Napi::Env, KeyPtr* p) { delete p; });
  ext.TypeTag(&kKeyTypeTag);
  return ext;
}

KeyPtr UnwrapKey(const Napi::Value& v) {
  if (!v.IsExternal()) ThrowInvalidArgument(v.Env(), "key must be a key handle");
  auto ext = v.As<Napi::External<KeyPtr>>();
  if (!ext.CheckTypeTag(&kKeyTypeTag)) ThrowInvalidArgument(v.Env(), "key must be a key handle");
  return *ext.Data();
}

// ---- the class -----------------------------------------------------------------------------

class MacSecurity : public Napi::ObjectWrap<MacSecurity> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MacSecurity",
                       {
                           InstanceMethod("hostInfo", &MacSecurity::HostInfoJs),
                           InstanceMethod("probeKeychain", &MacSecurity::ProbeKeychainJs),
                           InstanceMethod("createKey", &MacSecurity::CreateKeyJs),
                           InstanceMethod("rebuildKey", &MacSecurity::RebuildKeyJs),
                           InstanceMethod("findKeys", &MacSecurity::FindKeysJs),
                           InstanceMethod("deleteKeys", &MacSecurity::DeleteKeysJs),
                           InstanceMethod("sign", &MacSecurity::SignJs),
                           InstanceMethod("ecdh", &MacSecurity::EcdhJs),
                           InstanceMethod("encryptTo", &MacSecurity::EncryptToJs),
                           InstanceMethod("decrypt", &MacSecurity::DecryptJs),
                           InstanceMethod("close", &MacSecurity::Close),
                       });
  }

  // new MacSecurity()
  explicit MacSecurity(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<MacSecurity>(info),
        ops_(info.Env(), "device-keystore-macos"),
        queue_(std::make_unique<SerialQueue>()) {}

 private:
  Napi::Value Run(Napi::Env env, AsyncOps::Work work) {
    return ops_.Run(env, queue_.get(), std::move(work));
  }

  // A probe's outcome is a result, not an exception: { ok, error? } (error: the raw error).
  static Outcome ProbeOutcome(MacResult r) {
    return Done(MacResult{}, [r](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("ok", r.ok);
      if (!r.ok) o.Set("error", MakeJsError(env, r.error));
      return o;
    });
  }

  Napi::Value HostInfoJs(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [] {
      auto host = std::make_shared<HostInfo>(GetHostInfo());
      return Done(MacResult{}, [host](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("entitled", host->entitled);
        Napi::Array groups = Napi::Array::New(env, host->accessGroups.size());
        for (size_t i = 0; i < host->accessGroups.size(); i++) {
          groups.Set(static_cast<uint32_t>(i), host->accessGroups[i]);
        }
        o.Set("accessGroups", groups);
        return o;
      });
    });
  }

  Napi::Value ProbeKeychainJs(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [] { return ProbeOutcome(ProbeKeychain()); });
  }

  static ValueBuilder KeyValue(std::shared_ptr<NewKey> k) {
    return [k](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      auto box = std::make_shared<KeyBox>();
      box->key = std::move(k->key);
      o.Set("key", WrapKey(env, std::move(box)));
      o.Set("publicKey", ToBuffer(env, k->publicKey));
      if (!k->blob.empty()) o.Set("blob", ToBuffer(env, k->blob));
      if (!k->tag.empty()) o.Set("tag", ToBuffer(env, k->tag));
      return o;
    };
  }

  // createKey(spec) -> { key, publicKey, blob? }
  Napi::Value CreateKeyJs(const Napi::CallbackInfo& info) {
    KeySpec spec = ToSpec(info[0]);
    return Run(info.Env(), [spec] {
      auto k = std::make_shared<NewKey>();
      MacResult r = CreateKey(spec, k.get());
      return Done(r, KeyValue(k));
    });
  }

  // rebuildKey(blob) -> { key, publicKey }: the caller compares publicKey with its record.
  Napi::Value RebuildKeyJs(const Napi::CallbackInfo& info) {
    Bytes blob = CopyBytes(info[0], "blob", kMaxBlob);
    return Run(info.Env(), [blob] {
      auto k = std::make_shared<NewKey>();
      MacResult r = RebuildSecureEnclaveKey(blob, k.get());
      return Done(r, KeyValue(k));
    });
  }

  // findKeys(spec) -> [{ key, publicKey, tag? }] (tag: read back from the item); errSecItemNotFound rejects (E_NOT_FOUND in TS).
  Napi::Value FindKeysJs(const Napi::CallbackInfo& info) {
    KeySpec spec = ToSpec(info[0]);
    return Run(info.Env(), [spec] {
      auto keys = std::make_shared<std::vector<NewKey>>();
      MacResult r = FindKeys(spec, keys.get());
      return Done(r, [keys](Napi::Env env) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, keys->size());
        for (size_t i = 0; i < keys->size(); i++) {
          auto k = std::make_shared<NewKey>(std::move((*keys)[i]));
          a.Set(static_cast<uint32_t>(i), KeyValue(k)(env));
        }
        return a;
      });
    });
  }

  // deleteKeys(spec) -> how many items were deleted (0 when there were none)
  Napi::Value DeleteKeysJs(const Napi::CallbackInfo& info) {
    KeySpec spec = ToSpec(info[0]);
    return Run(info.Env(), [spec] {
      auto n = std::make_shared<int>(0);
      MacResult r = DeleteKeys(spec, n.get());
      return Done(r, [n](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *n); });
    });
  }

  // sign(key, data, prehashed) -> DER signature
  Napi::Value SignJs(const Napi::CallbackInfo& info) {
    KeyPtr key = UnwrapKey(info[0]);
    Bytes data = CopyBytes(info[1], "data", kMaxInput);
    const bool prehashed = info.Length() > 2 && info[2].ToBoolean().Value();
    if (prehashed && data.size() != 32) ThrowInvalidArgument(info.Env(), "digest must be 32 bytes");
    return Run(info.Env(), [key, data, prehashed] {
      auto der = std::make_shared<Bytes>();
      MacResult r = Sign(key->key.get(), data, prehashed, der.get());
      return Done(r, BufferOf(der));
    });
  }

  // ecdh(key, peerPoint: 65-byte Buffer, validated by the TS layer, algorithm?: 'standard' |
  // 'cofactor') -> 32-byte x-coordinate
  Napi::Value EcdhJs(const Napi::CallbackInfo& info) {
    KeyPtr key = UnwrapKey(info[0]);
    Bytes peer = CopyBytes(info[1], "peer point", 65);
    if (peer.size() != 65) ThrowInvalidArgument(info.Env(), "peer point must be 65 bytes");
    EcdhAlgorithm alg = EcdhAlgorithm::kStandard;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      std::string a = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
      if (a == "cofactor") {
        alg = EcdhAlgorithm::kCofactor;
      } else if (a != "standard") {
        ThrowInvalidArgument(info.Env(), "the ECDH algorithm must be 'standard' or 'cofactor'");
      }
    }
    return Run(info.Env(), [key, peer, alg] {
      auto z = std::make_shared<SecretBytes>();
      MacResult r = Ecdh(key->key.get(), peer, alg, &z->bytes);
      return Done(r, SecretBufferOf(z));
    });
  }

  // encryptTo(publicKey: 65 bytes, plaintext) -> ECIES ciphertext
  Napi::Value EncryptToJs(const Napi::CallbackInfo& info) {
    Bytes pub = CopyBytes(info[0], "public key", 65);
    SecretBytes plaintext(CopyBytes(info[1], "plaintext", kMaxInput));
    return Run(info.Env(), [pub, plaintext] {
      auto ct = std::make_shared<Bytes>();
      MacResult r = EncryptTo(pub, plaintext.bytes, ct.get());
      return Done(r, BufferOf(ct));
    });
  }

  // decrypt(key, ciphertext) -> plaintext
  Napi::Value DecryptJs(const Napi::CallbackInfo& info) {
    KeyPtr key = UnwrapKey(info[0]);
    Bytes ct = CopyBytes(info[1], "ciphertext", kMaxInput);
    return Run(info.Env(), [key, ct] {
      auto pt = std::make_shared<SecretBytes>();
      MacResult r = Decrypt(key->key.get(), ct, &pt->bytes);
      return Done(r, SecretBufferOf(pt));
    });
  }

  // close(): resolves once the operations queued before it are done (every later close()
  // returns the same promise); later calls reject with reason "closed". The queue is released
  // at once: its thread finishes those operations and ends by itself, so neither close() nor
  // the finalizer ever waits on a keychain prompt (serial_queue.h).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Value done = ops_.Close(info.Env(), queue_.get());
    queue_.reset();
    return done;
  }

  AsyncOps ops_;
  std::unique_ptr<SerialQueue> queue_;  // null once closed; releasing it never blocks
};

}  // namespace
}  // namespace macos

void InitMacos(Napi::Env env, Napi::Object exports) {
  exports.Set("macosBuiltIn", Napi::Boolean::New(env, true));
  exports.Set("MacSecurity", macos::MacSecurity::Define(env));
}

}  // namespace dk
