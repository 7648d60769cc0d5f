// JS <-> C++ for the TPM tier: argument checks, copying inputs off the JS heap, and promises
// resolved from the device's worker thread through a thread-safe function. No TPM logic here.
#include <napi.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>

#include "../common/addon.h"
#include "../common/errors.h"
#include "../common/js_link.h"
#include "tpm_device.h"

namespace dk {
namespace {

Bytes CopyBytes(const Napi::Value& v, const char* what, size_t maxLen) {
  if (!v.IsBuffer()) ThrowInvalidArgument(v.Env(), std::string(what) + " must be a Buffer");
  auto b = v.As<Napi::Buffer<uint8_t>>();
  if (b.Length() > maxLen) ThrowInvalidArgument(v.Env(), std::string(what) + " is too long");
  return Bytes(b.Data(), b.Data() + b.Length());
}

uint32_t ToHandle(const Napi::Value& v) {
  if (!v.IsNumber()) ThrowInvalidArgument(v.Env(), "the parent handle must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 0xFFFFFFFF) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    ThrowInvalidArgument(v.Env(), "the parent handle must be a 32-bit unsigned integer");
  }
  return static_cast<uint32_t>(d);
}

KeyBlobs ToKey(const Napi::CallbackInfo& info, size_t first) {
  KeyBlobs k;
  k.parent = ToHandle(info[first]);
  k.publicBlob = CopyBytes(info[first + 1], "publicBlob", sizeof(TPM2B_PUBLIC));
  k.privateBlob = CopyBytes(info[first + 2], "privateBlob", sizeof(TPM2B_PRIVATE));
  return k;
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const Bytes& b) {
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

// A TPM operation's outcome; settled on the JS thread.
struct TpmCompletion : Completion {
  using Completion::Completion;
  OpStatus status;
  std::function<Napi::Value(Napi::Env)> value;  // builds the result on the JS thread

  void Settle(Napi::Env env) override {
    if (status.ok) {
      deferred.Resolve(value ? value(env) : env.Undefined());
    } else {
      deferred.Reject(MakeJsError(env, status.error));
    }
  }
};

class TpmConnection : public Napi::ObjectWrap<TpmConnection> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TpmConnection",
                       {
                           InstanceMethod("properties", &TpmConnection::Properties),
                           InstanceMethod("createKey", &TpmConnection::CreateKey),
                           InstanceMethod("sign", &TpmConnection::Sign),
                           InstanceMethod("ecdh", &TpmConnection::Ecdh),
                           InstanceMethod("unseal", &TpmConnection::Unseal),
                           InstanceMethod("close", &TpmConnection::Close),
                       });
  }

  // new TpmConnection(tcti: string, ownerAuth: Buffer | undefined)
  explicit TpmConnection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TpmConnection>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) ThrowInvalidArgument(env, "tcti must be a string");
    const Tss2Load& tss2 = LoadTss2("");
    if (!tss2.ok) {
      throw Napi::Error(env, MakeJsError(env, {"E_TPM_UNAVAILABLE", tss2.error, "", -1}));
    }
    device_ = TpmDevice::Acquire(info[0].As<Napi::String>().Utf8Value(), tss2.api);
    link_ = std::make_shared<JsLink>(env, "device-keystore-tpm");
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      Bytes auth = CopyBytes(info[1], "ownerAuth", sizeof(TPMU_HA));
      device_->Post([device = device_.get(), auth] { device->SetOwnerAuth(auth); });
    }
  }

 private:
  using Work = std::function<OpStatus(TpmDevice*, TpmCompletion*)>;

  // Queue `work` on the device; the promise settles with what it leaves in the completion.
  Napi::Value Run(Napi::Env env, Work work) {
    if (!device_) {
      throw Napi::Error(env, MakeJsError(env, {"E_CLOSED", "this TPM connection was closed", "", -1}));
    }
    auto* completion = new TpmCompletion(env);
    Napi::Promise promise = completion->deferred.Promise();
    link_->Begin(env);
    // The task holds the raw device: the device's destructor drains its queue before anything
    // is freed, so the pointer outlives every task.
    device_->Post([device = device_.get(), link = link_, completion, work = std::move(work)]() {
      completion->status = work(device, completion);
      JsLink::Deliver(link, completion);
    });
    return promise;
  }

  Napi::Value Properties(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](TpmDevice* d, TpmCompletion* c) {
      auto props = std::make_shared<std::map<uint32_t, uint32_t>>();
      OpStatus s = d->Properties(props.get());
      c->value = [props](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        for (auto& p : *props) o.Set(std::to_string(p.first), Napi::Number::New(env, p.second));
        return o;
      };
      return s;
    });
  }

  // createKey(parent, template: Buffer, sensitive?: Buffer) -> { publicBlob, privateBlob }
  Napi::Value CreateKey(const Napi::CallbackInfo& info) {
    uint32_t parent = ToHandle(info[0]);
    Bytes templ = CopyBytes(info[1], "template", sizeof(TPM2B_PUBLIC));
    Bytes sensitive;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      sensitive = CopyBytes(info[2], "sensitive data", sizeof(TPM2B_SENSITIVE_DATA::buffer));
    }
    return Run(info.Env(), [parent, templ, sensitive](TpmDevice* d, TpmCompletion* c) mutable {
      auto key = std::make_shared<KeyBlobs>();
      OpStatus s = d->CreateKey(parent, templ, sensitive, key.get());
      std::fill(sensitive.begin(), sensitive.end(), 0);
      c->value = [key](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("publicBlob", ToBuffer(env, key->publicBlob));
        o.Set("privateBlob", ToBuffer(env, key->privateBlob));
        return o;
      };
      return s;
    });
  }

  // sign(parent, publicBlob, privateBlob, digest: 32-byte Buffer) -> r‖s
  Napi::Value Sign(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    Bytes digest = CopyBytes(info[3], "digest", 32);
    if (digest.size() != 32) ThrowInvalidArgument(info.Env(), "digest must be 32 bytes");
    return Run(info.Env(), [key = std::move(key), digest](TpmDevice* d, TpmCompletion* c) {
      auto rs = std::make_shared<Bytes>();
      OpStatus s = d->Sign(key, digest.data(), rs.get());
      c->value = [rs](Napi::Env env) { return ToBuffer(env, *rs); };
      return s;
    });
  }

  // ecdh(parent, publicBlob, privateBlob, x, y) -> 32-byte shared x-coordinate
  Napi::Value Ecdh(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    Bytes x = CopyBytes(info[3], "x", 32);
    Bytes y = CopyBytes(info[4], "y", 32);
    return Run(info.Env(), [key = std::move(key), x, y](TpmDevice* d, TpmCompletion* c) {
      auto z = std::make_shared<Bytes>();
      OpStatus s = d->Ecdh(key, x, y, z.get());
      c->value = [z](Napi::Env env) {
        auto b = ToBuffer(env, *z);
        std::fill(z->begin(), z->end(), 0);
        return b;
      };
      return s;
    });
  }

  // unseal(parent, publicBlob, privateBlob) -> the sealed bytes
  Napi::Value Unseal(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    return Run(info.Env(), [key = std::move(key)](TpmDevice* d, TpmCompletion* c) {
      auto out = std::make_shared<Bytes>();
      OpStatus s = d->Unseal(key, out.get());
      c->value = [out](Napi::Env env) {
        auto b = ToBuffer(env, *out);
        std::fill(out->begin(), out->end(), 0);
        return b;
      };
      return s;
    });
  }

  // close(): resolves once this connection's queued operations are done; the device itself
  // closes (flushing its handles) when no connection in the process uses it any more.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!device_) return Napi::Promise::Deferred::New(info.Env()).Promise();
    Napi::Value done = Run(info.Env(), [](TpmDevice*, TpmCompletion*) { return OpStatus{}; });
    device_.reset();
    return done;
  }

  std::shared_ptr<TpmDevice> device_;
  std::shared_ptr<JsLink> link_;
};

Napi::Value Tss2Status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string libDir;
  if (info.Length() > 0 && info[0].IsString()) libDir = info[0].As<Napi::String>().Utf8Value();
  const Tss2Load& tss2 = LoadTss2(libDir);
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", tss2.ok);
  if (!tss2.ok) o.Set("error", tss2.error);
  Napi::Array libs = Napi::Array::New(env, tss2.libraries.size());
  for (size_t i = 0; i < tss2.libraries.size(); i++) {
    Napi::Object l = Napi::Object::New(env);
    l.Set("soname", tss2.libraries[i].soname);
    l.Set("path", tss2.libraries[i].path);
    libs.Set(i, l);
  }
  o.Set("libraries", libs);
  return o;
}

}  // namespace

void InitTpm(Napi::Env env, Napi::Object exports) {
  exports.Set("tss2Status", Napi::Function::New(env, Tss2Status, "tss2Status"));
  exports.Set("TpmConnection", TpmConnection::Define(env));
}

}  // namespace dk
