// JS <-> C++ for the macOS tiers: argument checks, copies off the JS heap, promises resolved
// from one worker thread per MacSecurity object, and KeystoreErrors built from OSStatus. The
// Security.framework calls themselves are in mac_keys.cc.
#include <napi.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../common/addon.h"
#include "../common/errors.h"
#include "../common/js_link.h"
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

// The OSStatus table from src/backends/osstatus.ts, the one source of truth for codes and
// hints. Keyed by (CFError domain, status).
struct StatusEntry {
  std::string code;
  std::string hint;
};
using StatusTable = std::map<std::pair<std::string, int64_t>, StatusEntry>;

// ---- errors ------------------------------------------------------------------------------

std::string DescribeStatus(const MacError& e) {
  if (e.domain.empty()) return "";
  if (e.domain == "NSOSStatusErrorDomain") return " (OSStatus " + std::to_string(e.status) + ")";
  return " (" + e.domain + " error " + std::to_string(e.status) + ")";
}

// KeystoreError(code, message, { osStatus, hint }); a plain Error with the same fields when the
// TS layer did not hand its class over. JS thread only.
Napi::Value MakeMacError(Napi::Env env, const MacError& e, const StatusTable& table) {
  std::string code = e.code;
  std::string hint;
  auto found = table.find({e.domain, e.status});
  if (found != table.end()) {
    if (code.empty()) code = found->second.code;
    hint = found->second.hint;
  }
  if (code.empty()) code = "E_MACOS";
  const std::string message = e.call + " failed: " + e.message + DescribeStatus(e);
  const bool isOSStatus = e.domain == "NSOSStatusErrorDomain";

  Addon* addon = env.GetInstanceData<Addon>();
  if (addon && !addon->errorClass.IsEmpty()) {
    Napi::Object details = Napi::Object::New(env);
    if (!hint.empty()) details.Set("hint", hint);
    if (isOSStatus) details.Set("osStatus", Napi::Number::New(env, static_cast<double>(e.status)));
    return addon->errorClass.New(
        {Napi::String::New(env, code), Napi::String::New(env, message), details});
  }
  Napi::Object plain = Napi::Error::New(env, message).Value();
  plain.Set("code", Napi::String::New(env, code));
  if (isOSStatus) plain.Set("osStatus", Napi::Number::New(env, static_cast<double>(e.status)));
  if (!hint.empty()) plain.Set("hint", Napi::String::New(env, hint));
  return plain;
}

// ---- argument conversion -----------------------------------------------------------------

Bytes CopyBytes(const Napi::Value& v, const char* what, size_t maxLen) {
  if (!v.IsBuffer()) ThrowInvalidArgument(v.Env(), std::string(what) + " must be a Buffer");
  auto b = v.As<Napi::Buffer<uint8_t>>();
  if (b.Length() > maxLen) ThrowInvalidArgument(v.Env(), std::string(what) + " is too long");
  return Bytes(b.Data(), b.Data() + b.Length());
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const Bytes& b) {
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

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

// { kind: 'se-blob' | 'se-keychain' | 'keychain', tag?, label?, afterFirstUnlock?, accessGroup? }
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

// ---- worker thread -> JS thread ------------------------------------------------------------

// A macOS operation's outcome; settled on the JS thread with the OSStatus table at hand.
struct MacCompletion : Completion {
  MacCompletion(Napi::Env env, std::shared_ptr<const StatusTable> t)
      : Completion(env), table(std::move(t)) {}
  MacResult status;
  std::function<Napi::Value(Napi::Env)> value;  // builds the result on the JS thread
  std::shared_ptr<const StatusTable> table;

  void Settle(Napi::Env env) override {
    if (status.ok) {
      deferred.Resolve(value ? value(env) : env.Undefined());
    } else {
      deferred.Reject(MakeMacError(env, status.error, *table));
    }
  }
};

// ---- the class -----------------------------------------------------------------------------

class MacSecurity : public Napi::ObjectWrap<MacSecurity> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MacSecurity",
                       {
                           InstanceMethod("hostInfo", &MacSecurity::HostInfoJs),
                           InstanceMethod("probeSecureEnclave", &MacSecurity::ProbeSecureEnclaveJs),
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

  // new MacSecurity(table: [domain: string, status: number, code: string, hint: string][])
  explicit MacSecurity(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MacSecurity>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) {
      ThrowInvalidArgument(env, "MacSecurity needs the OSStatus table");
    }
    auto table = std::make_shared<StatusTable>();
    Napi::Array rows = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < rows.Length(); i++) {
      Napi::Value row = rows.Get(i);
      if (!row.IsArray() || row.As<Napi::Array>().Length() != 4) {
        ThrowInvalidArgument(env, "each OSStatus table row must be [domain, status, code, hint]");
      }
      Napi::Array r = row.As<Napi::Array>();
      if (!r.Get(0u).IsString() || !r.Get(1u).IsNumber() || !r.Get(2u).IsString() ||
          !r.Get(3u).IsString()) {
        ThrowInvalidArgument(env, "each OSStatus table row must be [domain, status, code, hint]");
      }
      (*table)[{r.Get(0u).As<Napi::String>().Utf8Value(), r.Get(1u).As<Napi::Number>().Int64Value()}] =
          StatusEntry{r.Get(2u).As<Napi::String>().Utf8Value(),
                      r.Get(3u).As<Napi::String>().Utf8Value()};
    }
    table_ = std::move(table);
    link_ = std::make_shared<JsLink>(env, "device-keystore-macos");
    queue_ = std::make_unique<SerialQueue>();
  }

 private:
  using Work = std::function<MacResult(MacCompletion*)>;

  // Queue `work` on this object's worker thread; the promise settles with what it leaves.
  Napi::Value Run(Napi::Env env, Work work) {
    if (closed_) {
      throw Napi::Error(env, MakeMacError(env, MacError{"MacSecurity", "", 0,
                                                         "this keystore backend was closed",
                                                         "E_CLOSED"},
                                          *table_));
    }
    auto* completion = new MacCompletion(env, table_);
    Napi::Promise promise = completion->deferred.Promise();
    link_->Begin(env);
    queue_->Post([link = link_, completion, work = std::move(work)]() {
      completion->status = work(completion);
      JsLink::Deliver(link, completion);
    });
    return promise;
  }

  // A probe's outcome is a result, not an exception: { ok, code?, message?, osStatus? }.
  static std::function<Napi::Value(Napi::Env)> ProbeValue(MacResult r,
                                                          std::shared_ptr<const StatusTable> t) {
    return [r, t](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("ok", r.ok);
      if (!r.ok) {
        Napi::Value e = MakeMacError(env, r.error, *t);
        o.Set("error", e);
      }
      return o;
    };
  }

  Napi::Value HostInfoJs(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](MacCompletion* c) {
      auto host = std::make_shared<HostInfo>(GetHostInfo());
      c->value = [host](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("entitled", host->entitled);
        Napi::Array groups = Napi::Array::New(env, host->accessGroups.size());
        for (size_t i = 0; i < host->accessGroups.size(); i++) {
          groups.Set(static_cast<uint32_t>(i), host->accessGroups[i]);
        }
        o.Set("accessGroups", groups);
        return o;
      };
      return MacResult{};
    });
  }

  // probeSecureEnclave(afterFirstUnlock: boolean) -> { ok, error? }
  Napi::Value ProbeSecureEnclaveJs(const Napi::CallbackInfo& info) {
    const bool afterFirstUnlock = info.Length() > 0 && info[0].ToBoolean().Value();
    return Run(info.Env(), [afterFirstUnlock](MacCompletion* c) {
      c->value = ProbeValue(ProbeSecureEnclave(afterFirstUnlock), c->table);
      return MacResult{};
    });
  }

  Napi::Value ProbeKeychainJs(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](MacCompletion* c) {
      c->value = ProbeValue(ProbeKeychain(), c->table);
      return MacResult{};
    });
  }

  static std::function<Napi::Value(Napi::Env)> KeyValue(std::shared_ptr<NewKey> k) {
    return [k](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      auto box = std::make_shared<KeyBox>();
      box->key = std::move(k->key);
      o.Set("key", WrapKey(env, std::move(box)));
      o.Set("publicKey", ToBuffer(env, k->publicKey));
      if (!k->blob.empty()) o.Set("blob", ToBuffer(env, k->blob));
      return o;
    };
  }

  // createKey(spec) -> { key, publicKey, blob? }
  Napi::Value CreateKeyJs(const Napi::CallbackInfo& info) {
    KeySpec spec = ToSpec(info[0]);
    return Run(info.Env(), [spec](MacCompletion* c) {
      auto k = std::make_shared<NewKey>();
      MacResult r = CreateKey(spec, k.get());
      c->value = KeyValue(k);
      return r;
    });
  }

  // rebuildKey(blob) -> { key, publicKey }: the caller compares publicKey with its record.
  Napi::Value RebuildKeyJs(const Napi::CallbackInfo& info) {
    Bytes blob = CopyBytes(info[0], "blob", kMaxBlob);
    return Run(info.Env(), [blob](MacCompletion* c) {
      auto k = std::make_shared<NewKey>();
      MacResult r = RebuildSecureEnclaveKey(blob, k.get());
      c->value = KeyValue(k);
      return r;
    });
  }

  // findKeys(spec) -> [{ key, publicKey }]; errSecItemNotFound rejects with E_NOT_FOUND.
  Napi::Value FindKeysJs(const Napi::CallbackInfo& info) {
    KeySpec spec = ToSpec(info[0]);
    return Run(info.Env(), [spec](MacCompletion* c) {
      auto keys = std::make_shared<std::vector<NewKey>>();
      MacResult r = FindKeys(spec, keys.get());
      c->value = [keys](Napi::Env env) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, keys->size());
        for (size_t i = 0; i < keys->size(); i++) {
          auto k = std::make_shared<NewKey>(std::move((*keys)[i]));
          a.Set(static_cast<uint32_t>(i), KeyValue(k)(env));
        }
        return a;
      };
      return r;
    });
  }

  // deleteKeys(spec) -> how many items were deleted (0 when there were none)
  Napi::Value DeleteKeysJs(const Napi::CallbackInfo& info) {
    KeySpec spec = ToSpec(info[0]);
    return Run(info.Env(), [spec](MacCompletion* c) {
      auto n = std::make_shared<int>(0);
      MacResult r = DeleteKeys(spec, n.get());
      c->value = [n](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *n); };
      return r;
    });
  }

  // sign(key, data, prehashed) -> DER signature
  Napi::Value SignJs(const Napi::CallbackInfo& info) {
    KeyPtr key = UnwrapKey(info[0]);
    Bytes data = CopyBytes(info[1], "data", kMaxInput);
    const bool prehashed = info.Length() > 2 && info[2].ToBoolean().Value();
    if (prehashed && data.size() != 32) ThrowInvalidArgument(info.Env(), "digest must be 32 bytes");
    return Run(info.Env(), [key, data, prehashed](MacCompletion* c) {
      auto der = std::make_shared<Bytes>();
      MacResult r = Sign(key->key.get(), data, prehashed, der.get());
      c->value = [der](Napi::Env env) -> Napi::Value { return ToBuffer(env, *der); };
      return r;
    });
  }

  // ecdh(key, peerPoint: 65-byte Buffer, validated by the TS layer) -> 32-byte x-coordinate
  Napi::Value EcdhJs(const Napi::CallbackInfo& info) {
    KeyPtr key = UnwrapKey(info[0]);
    Bytes peer = CopyBytes(info[1], "peer point", 65);
    if (peer.size() != 65) ThrowInvalidArgument(info.Env(), "peer point must be 65 bytes");
    return Run(info.Env(), [key, peer](MacCompletion* c) {
      auto z = std::make_shared<Bytes>();
      MacResult r = Ecdh(key->key.get(), peer, z.get());
      c->value = [z](Napi::Env env) -> Napi::Value {
        auto b = ToBuffer(env, *z);
        Wipe(z.get());
        return b;
      };
      return r;
    });
  }

  // encryptTo(publicKey: 65 bytes, plaintext) -> ECIES ciphertext
  Napi::Value EncryptToJs(const Napi::CallbackInfo& info) {
    Bytes pub = CopyBytes(info[0], "public key", 65);
    Bytes plaintext = CopyBytes(info[1], "plaintext", kMaxInput);
    return Run(info.Env(), [pub = std::move(pub), plaintext = std::move(plaintext)](
                                MacCompletion* c) mutable {
      auto ct = std::make_shared<Bytes>();
      MacResult r = EncryptTo(pub, plaintext, ct.get());
      Wipe(&plaintext);
      c->value = [ct](Napi::Env env) -> Napi::Value { return ToBuffer(env, *ct); };
      return r;
    });
  }

  // decrypt(key, ciphertext) -> plaintext
  Napi::Value DecryptJs(const Napi::CallbackInfo& info) {
    KeyPtr key = UnwrapKey(info[0]);
    Bytes ct = CopyBytes(info[1], "ciphertext", kMaxInput);
    return Run(info.Env(), [key, ct](MacCompletion* c) {
      auto pt = std::make_shared<Bytes>();
      MacResult r = Decrypt(key->key.get(), ct, pt.get());
      c->value = [pt](Napi::Env env) -> Napi::Value {
        auto b = ToBuffer(env, *pt);
        Wipe(pt.get());
        return b;
      };
      return r;
    });
  }

  // close(): resolves once the operations queued before it are done; later calls fail with
  // E_CLOSED. The worker thread itself ends when this object is garbage-collected, so close()
  // never blocks the JS thread on a keychain prompt.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (closed_) {
      auto d = Napi::Promise::Deferred::New(info.Env());
      d.Resolve(info.Env().Undefined());
      return d.Promise();
    }
    Napi::Value done = Run(info.Env(), [](MacCompletion*) { return MacResult{}; });
    closed_ = true;
    return done;
  }

  std::shared_ptr<const StatusTable> table_;
  std::shared_ptr<JsLink> link_;
  bool closed_ = false;
  std::unique_ptr<SerialQueue> queue_;  // last: joined (drained) first on destruction
};

}  // namespace
}  // namespace macos

void InitMacos(Napi::Env env, Napi::Object exports) {
  exports.Set("macosBuiltIn", Napi::Boolean::New(env, true));
  exports.Set("MacSecurity", macos::MacSecurity::Define(env));
}

}  // namespace dk
