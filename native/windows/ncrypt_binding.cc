// JS <-> C++ for the NCrypt tiers: argument checks, copies off the JS heap, and every NCrypt call
// queued on one worker thread per NcryptProvider object through the common async pattern
// (native/common/async_work.h). Failures carry the raw SECURITY_STATUS / TBS_RESULT and its text
// up to src/backends/ncrypt-status.ts. The NCrypt calls themselves are in win_ncrypt.cc.
//
// NCrypt handles are freed on the worker thread as well: a key's external posts its release
// there when it is collected, and the provider handle goes with the last key.
#include <napi.h>

#include <memory>
#include <string>
#include <utility>

#include "../common/async_work.h"
#include "../common/errors.h"
#include "../common/serial_queue.h"
#include "win_init.h"
#include "win_ncrypt.h"
#include "win_text.h"

namespace dk {
namespace win {
namespace {

// Marks the externals that hold our keys, so that no other external is taken for one.
const napi_type_tag kKeyTypeTag = {0x6465766963656b65ULL, 0x79737465726e6372ULL};

constexpr size_t kMaxBlob = 16 * 1024;
constexpr size_t kMaxName = 256;
constexpr size_t kMaxPin = 32;

// What a key's external holds: the key, and the queue its release is posted to.
struct KeyRef {
  std::shared_ptr<Key> key;
  std::shared_ptr<SerialQueue> queue;
};

// Worker-thread state: the provider, opened by the first operation.
struct WorkerState {
  ProviderKind kind;
  std::shared_ptr<Provider> provider;

  Status Ensure() {
    if (provider) return Status{};
    return Provider::Open(kind, &provider);
  }
};

Napi::Value WrapKey(Napi::Env env, std::shared_ptr<Key> key, std::shared_ptr<SerialQueue> queue) {
  auto* ref = new KeyRef{std::move(key), std::move(queue)};
  auto ext = Napi::External<KeyRef>::New(env, ref, [](Napi::Env, KeyRef* r) {
    std::shared_ptr<SerialQueue> q = std::move(r->queue);
    q->Post([k = std::move(r->key)]() mutable { k.reset(); });
    delete r;
  });
  ext.TypeTag(&kKeyTypeTag);
  return ext;
}

std::shared_ptr<Key> UnwrapKey(const Napi::Value& v) {
  if (!v.IsExternal()) ThrowInvalidArgument(v.Env(), "key must be a key handle");
  auto ext = v.As<Napi::External<KeyRef>>();
  if (!ext.CheckTypeTag(&kKeyTypeTag)) ThrowInvalidArgument(v.Env(), "key must be a key handle");
  return ext.Data()->key;
}

// An optional PIN argument: UTF-8 bytes, checked in TypeScript (src/backends/pin.ts); here
// only bounded. Copied off the JS heap into bytes that are wiped once the task is done.
std::shared_ptr<SecretBytes> PinArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || info[index].IsUndefined()) return nullptr;
  auto pin = std::make_shared<SecretBytes>(CopyBytes(info[index], "pin", kMaxPin));
  if (pin->bytes.empty()) ThrowInvalidArgument(info.Env(), "pin must not be empty");
  return pin;
}

std::wstring NameArg(const Napi::Value& v) {
  if (!v.IsString()) ThrowInvalidArgument(v.Env(), "the key name must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty() || s.size() > kMaxName || s.find('\0') != std::string::npos) {
    ThrowInvalidArgument(v.Env(), "the key name must be 1 to 256 characters, without NUL");
  }
  return Wide(s);
}

class NcryptProvider : public Napi::ObjectWrap<NcryptProvider> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NcryptProvider",
                       {
                           InstanceMethod("createKey", &NcryptProvider::CreateKeyJs),
                           InstanceMethod("importKey", &NcryptProvider::ImportKeyJs),
                           InstanceMethod("openKey", &NcryptProvider::OpenKeyJs),
                           InstanceMethod("sign", &NcryptProvider::SignJs),
                           InstanceMethod("ecdh", &NcryptProvider::EcdhJs),
                           InstanceMethod("deleteKey", &NcryptProvider::DeleteKeyJs),
                           InstanceMethod("releaseKey", &NcryptProvider::ReleaseKeyJs),
                           InstanceMethod("tpmInfo", &NcryptProvider::TpmInfoJs),
                           InstanceMethod("close", &NcryptProvider::Close),
                       });
  }

  // new NcryptProvider('platform' | 'software'): nothing is opened until the first operation,
  // and then on the worker thread.
  explicit NcryptProvider(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<NcryptProvider>(info),
        ops_(info.Env(), "device-keystore-ncrypt"),
        queue_(std::make_shared<SerialQueue>()),
        state_(std::make_shared<WorkerState>()) {
    std::string kind = info.Length() > 0 && info[0].IsString()
                           ? info[0].As<Napi::String>().Utf8Value()
                           : std::string();
    if (kind == "platform") {
      state_->kind = ProviderKind::kPlatform;
    } else if (kind == "software") {
      state_->kind = ProviderKind::kSoftware;
    } else {
      ThrowInvalidArgument(info.Env(), "the provider must be 'platform' or 'software'");
    }
  }

  ~NcryptProvider() override { ReleaseState(); }

 private:
  Napi::Value Run(Napi::Env env, std::function<Outcome(WorkerState&)> work) {
    return ops_.Run(env, queue_.get(), [state = state_, work = std::move(work)] {
      return work(*state);
    });
  }

  // The provider handle is freed on the worker thread, after the work queued before.
  void ReleaseState() {
    if (queue_ && state_) queue_->Post([s = std::move(state_)]() mutable { s.reset(); });
    state_.reset();
  }

  // Runs on the JS thread; the queue is the one the key's release will be posted to.
  static ValueBuilder KeyValue(std::shared_ptr<NewKey> k, std::shared_ptr<SerialQueue> queue) {
    return [k, queue](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("key", WrapKey(env, std::move(k->key), queue));
      o.Set("publicBlob", ToBuffer(env, k->publicBlob));
      if (!k->curveName.empty()) o.Set("curveName", k->curveName);
      if (!k->algorithm.empty()) o.Set("algorithm", k->algorithm);
      if (k->hasUsage) o.Set("usage", Napi::Number::New(env, k->usage));
      if (k->hasPcpPolicy) o.Set("pcpUsagePolicy", Napi::Number::New(env, k->pcpPolicy));
      if (!k->name.empty()) o.Set("name", k->name);
      if (!k->blob.empty()) o.Set("blob", ToBuffer(env, k->blob));
      return o;
    };
  }

  // createKey(name?: string, usage?: 'key-usage' | 'pcp-generic' | 'sign-only' |
  //   'pcp-signature', pin?: Buffer)
  //   -> { key, publicBlob, curveName?, algorithm?, usage?, pcpUsagePolicy?, name?, blob? }
  // No name, a key kept by nobody but its blob (the PCP way); a name, a key persisted under it
  // in the provider. The usage policy: win_ncrypt.h, UsagePolicy.
  Napi::Value CreateKeyJs(const Napi::CallbackInfo& info) {
    std::wstring name = info.Length() > 0 && !info[0].IsUndefined() ? NameArg(info[0]) : L"";
    UsagePolicy usage = UsagePolicy::kKeyUsage;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      std::string u = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
      if (u == "pcp-generic") {
        usage = UsagePolicy::kPcpGeneric;
      } else if (u == "sign-only") {
        usage = UsagePolicy::kSignOnly;
      } else if (u == "pcp-signature") {
        usage = UsagePolicy::kPcpSignature;
      } else if (u != "key-usage") {
        ThrowInvalidArgument(info.Env(),
                             "the usage must be 'key-usage', 'pcp-generic', 'sign-only' or "
                             "'pcp-signature'");
      }
    }
    std::shared_ptr<SecretBytes> pin = PinArg(info, 2);
    return Run(info.Env(), [queue = queue_, name, usage, pin](WorkerState& s) {
      auto k = std::make_shared<NewKey>();
      Status st = s.Ensure();
      if (st.ok) st = CreateKey(s.provider, name, usage, pin.get(), k.get());
      return Done(st, KeyValue(k, queue));
    });
  }

  // importKey(blob) -> as createKey: the caller compares the public key with its record.
  Napi::Value ImportKeyJs(const Napi::CallbackInfo& info) {
    Bytes blob = CopyBytes(info[0], "blob", kMaxBlob);
    if (blob.empty()) ThrowInvalidArgument(info.Env(), "blob must not be empty");
    return Run(info.Env(), [queue = queue_, blob](WorkerState& s) {
      auto k = std::make_shared<NewKey>();
      Status st = s.Ensure();
      if (st.ok) st = ImportOpaqueKey(s.provider, blob, k.get());
      return Done(st, KeyValue(k, queue));
    });
  }

  // openKey(name) -> as createKey
  Napi::Value OpenKeyJs(const Napi::CallbackInfo& info) {
    std::wstring name = NameArg(info[0]);
    return Run(info.Env(), [queue = queue_, name](WorkerState& s) {
      auto k = std::make_shared<NewKey>();
      Status st = s.Ensure();
      if (st.ok) st = OpenNamedKey(s.provider, name, k.get());
      return Done(st, KeyValue(k, queue));
    });
  }

  // sign(key, digest: 32 bytes, pin?: Buffer) -> r || s (64 bytes)
  Napi::Value SignJs(const Napi::CallbackInfo& info) {
    std::shared_ptr<Key> key = UnwrapKey(info[0]);
    Bytes digest = CopyBytes(info[1], "digest", 32);
    if (digest.size() != 32) ThrowInvalidArgument(info.Env(), "digest must be 32 bytes");
    std::shared_ptr<SecretBytes> pin = PinArg(info, 2);
    return Run(info.Env(), [key, digest, pin](WorkerState&) {
      auto sig = std::make_shared<Bytes>();
      Status st = pin ? SetKeyPin(*key, *pin) : Status{};
      if (st.ok) st = SignDigest(*key, digest, sig.get());
      return Done(st, BufferOf(sig));
    });
  }

  // ecdh(key, peerPoint: 65 bytes, validated by the TS layer, pin?: Buffer) -> 32-byte x
  Napi::Value EcdhJs(const Napi::CallbackInfo& info) {
    std::shared_ptr<Key> key = UnwrapKey(info[0]);
    Bytes peer = CopyBytes(info[1], "peer point", 65);
    if (peer.size() != 65) ThrowInvalidArgument(info.Env(), "peer point must be 65 bytes");
    std::shared_ptr<SecretBytes> pin = PinArg(info, 2);
    return Run(info.Env(), [key, peer, pin](WorkerState&) {
      auto z = std::make_shared<SecretBytes>();
      Status st = pin ? SetKeyPin(*key, *pin) : Status{};
      if (st.ok) st = Agree(*key, peer, z.get());
      return Done(st, SecretBufferOf(z));
    });
  }

  // deleteKey(key): removes it from the provider; the handle is dead afterwards.
  Napi::Value DeleteKeyJs(const Napi::CallbackInfo& info) {
    std::shared_ptr<Key> key = UnwrapKey(info[0]);
    return Run(info.Env(), [key](WorkerState&) { return Done(key->Delete()); });
  }

  // releaseKey(key): frees the handle now, deleting nothing (keys without a name); later calls
  // on the key fail.
  Napi::Value ReleaseKeyJs(const Napi::CallbackInfo& info) {
    std::shared_ptr<Key> key = UnwrapKey(info[0]);
    return Run(info.Env(), [key](WorkerState&) {
      key->Release();
      return Done(Status{});
    });
  }

  // tpmInfo() -> { structVersion, tpmVersion, interfaceType, implementationRevision }
  Napi::Value TpmInfoJs(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](WorkerState&) {
      auto d = std::make_shared<TpmDeviceInfo>();
      Status st = GetTpmDeviceInfo(d.get());
      return Done(st, [d](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("structVersion", Napi::Number::New(env, d->structVersion));
        o.Set("tpmVersion", Napi::Number::New(env, d->tpmVersion));
        o.Set("interfaceType", Napi::Number::New(env, d->interfaceType));
        o.Set("implementationRevision", Napi::Number::New(env, d->implementationRevision));
        return o;
      });
    });
  }

  // close(): resolves once the operations queued before it are done; later calls reject with
  // reason "closed". Keys still referenced from JS keep the provider open until collected.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Value done = ops_.Close(info.Env(), queue_.get());
    ReleaseState();
    queue_.reset();
    return done;
  }

  AsyncOps ops_;
  std::shared_ptr<SerialQueue> queue_;  // null once closed; shared with the keys' externals
  std::shared_ptr<WorkerState> state_;  // used on the worker thread only
};

}  // namespace
}  // namespace win

void InitNcrypt(Napi::Env env, Napi::Object exports) {
  exports.Set("NcryptProvider", win::NcryptProvider::Define(env));
}

}  // namespace dk
