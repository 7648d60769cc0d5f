// JS <-> C++ for the TPM tier: argument checks, copies off the JS heap, and the device's work
// queued through the common async pattern (native/common/async_work.h). No TPM logic here, and
// no error codes: failures carry the raw TSS2_RC up to src/backends/tss2-status.ts.
#include <napi.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "../common/addon.h"
#include "../common/async_work.h"
#include "../common/errors.h"
#include "tpm_device.h"
#include "tpm_init.h"

namespace dk {
namespace {

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

class TpmConnection : public Napi::ObjectWrap<TpmConnection> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TpmConnection",
                       {
                           InstanceMethod("properties", &TpmConnection::Properties),
                           InstanceMethod("srkName", &TpmConnection::SrkName),
                           InstanceMethod("pinSrk", &TpmConnection::PinSrk),
                           InstanceMethod("createKey", &TpmConnection::CreateKey),
                           InstanceMethod("sign", &TpmConnection::Sign),
                           InstanceMethod("ecdh", &TpmConnection::Ecdh),
                           InstanceMethod("unseal", &TpmConnection::Unseal),
                           InstanceMethod("endorsement", &TpmConnection::ReadEndorsement),
                           InstanceMethod("createEk", &TpmConnection::CreateEk),
                           InstanceMethod("certify", &TpmConnection::Certify),
                           InstanceMethod("activateCredential",
                                          &TpmConnection::ActivateCredential),
                           InstanceMethod("close", &TpmConnection::Close),
                       });
  }

  // new TpmConnection(tcti: string, ownerAuth: Buffer | undefined). The TS layer checks that
  // tss2 loaded (tss2Status) before it gets here.
  explicit TpmConnection(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<TpmConnection>(info), ops_(info.Env(), "device-keystore-tpm") {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) ThrowInvalidArgument(env, "tcti must be a string");
    const Tss2Load& tss2 = LoadTss2("");
    if (!tss2.ok) {
      NativeError e;
      e.call = "dlopen";
      e.reason = "tss2-missing";
      e.detail = tss2.error;
      throw Napi::Error(env, MakeJsError(env, e));
    }
    device_ = TpmDevice::Acquire(info[0].As<Napi::String>().Utf8Value(), tss2.api);
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      SecretBytes auth(CopyBytes(info[1], "ownerAuth", sizeof(TPMU_HA)));
      device_->queue().Post([device = device_.get(), auth] { device->SetOwnerAuth(auth.bytes); });
    }
  }

 private:
  // The task holds the raw device: the device's destructor drains its queue before anything is
  // freed, so the pointer outlives every task.
  template <typename Op>
  Napi::Value Run(Napi::Env env, Op op) {
    SerialQueue* queue = device_ ? &device_->queue() : nullptr;  // null once closed
    return ops_.Run(env, queue, [device = device_.get(), pin = srkPin_, op = std::move(op)] {
      device->ExpectSrk(pin);
      return op(device);
    });
  }

  // srkName() -> the owner SRK's Name, for the store to pin (a new store, or trust on first use).
  Napi::Value SrkName(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](TpmDevice* d) {
      auto srkName = std::make_shared<Bytes>();
      OpStatus s = d->SrkName(srkName.get());
      return Done(s, BufferOf(srkName));
    });
  }

  // pinSrk(name): every later operation of this connection sends nothing that carries a secret
  // unless the TPM's owner SRK has this Name (0x000B || SHA-256 of the public area).
  Napi::Value PinSrk(const Napi::CallbackInfo& info) {
    Bytes name = CopyBytes(info[0], "srkName", 34);
    if (name.size() != 34 || name[0] != 0x00 || name[1] != 0x0B) {
      ThrowInvalidArgument(info.Env(), "srkName must be a 34-byte SHA-256 Name");
    }
    srkPin_ = std::move(name);
    return info.Env().Undefined();
  }

  // An optional authValue argument (a key's PIN), copied into memory that is wiped.
  static SecretBytes AuthArg(const Napi::CallbackInfo& info, size_t i) {
    SecretBytes auth;
    if (info.Length() > i && !info[i].IsUndefined()) auth.bytes = CopyBytes(info[i], "auth", 32);
    return auth;
  }

  Napi::Value Properties(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](TpmDevice* d) {
      auto props = std::make_shared<std::map<uint32_t, uint32_t>>();
      OpStatus s = d->Properties(props.get());
      return Done(s, [props](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        for (auto& p : *props) o.Set(std::to_string(p.first), Napi::Number::New(env, p.second));
        return o;
      });
    });
  }

  // createKey(parent, template: Buffer, sensitive?: Buffer, userAuth?: Buffer)
  //   -> { publicBlob, privateBlob }
  Napi::Value CreateKey(const Napi::CallbackInfo& info) {
    uint32_t parent = ToHandle(info[0]);
    Bytes templ = CopyBytes(info[1], "template", sizeof(TPM2B_PUBLIC));
    SecretBytes sensitive;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      sensitive.bytes = CopyBytes(info[2], "sensitive data", sizeof(TPM2B_SENSITIVE_DATA::buffer));
    }
    SecretBytes userAuth = AuthArg(info, 3);
    return Run(info.Env(), [parent, templ, sensitive, userAuth](TpmDevice* d) {
      auto key = std::make_shared<KeyBlobs>();
      OpStatus s = d->CreateKey(parent, templ, sensitive.bytes, userAuth.bytes, key.get());
      return Done(s, [key](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("publicBlob", ToBuffer(env, key->publicBlob));
        o.Set("privateBlob", ToBuffer(env, key->privateBlob));
        return o;
      });
    });
  }

  // sign(parent, publicBlob, privateBlob, digest: 32-byte Buffer, auth?: Buffer) -> r‖s
  Napi::Value Sign(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    Bytes digest = CopyBytes(info[3], "digest", 32);
    if (digest.size() != 32) ThrowInvalidArgument(info.Env(), "digest must be 32 bytes");
    SecretBytes auth = AuthArg(info, 4);
    return Run(info.Env(), [key = std::move(key), digest, auth](TpmDevice* d) {
      auto rs = std::make_shared<Bytes>();
      OpStatus s = d->Sign(key, digest.data(), auth.bytes, rs.get());
      return Done(s, BufferOf(rs));
    });
  }

  // ecdh(parent, publicBlob, privateBlob, x, y, auth?: Buffer) -> 32-byte shared x-coordinate
  Napi::Value Ecdh(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    Bytes x = CopyBytes(info[3], "x", 32);
    Bytes y = CopyBytes(info[4], "y", 32);
    SecretBytes auth = AuthArg(info, 5);
    return Run(info.Env(), [key = std::move(key), x, y, auth](TpmDevice* d) {
      auto z = std::make_shared<SecretBytes>();
      OpStatus s = d->Ecdh(key, x, y, auth.bytes, &z->bytes);
      return Done(s, SecretBufferOf(z));
    });
  }

  // unseal(parent, publicBlob, privateBlob) -> the sealed bytes
  Napi::Value Unseal(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    return Run(info.Env(), [key = std::move(key)](TpmDevice* d) {
      auto out = std::make_shared<SecretBytes>();
      OpStatus s = d->Unseal(key, &out->bytes);
      return Done(s, SecretBufferOf(out));
    });
  }

  // endorsement() -> { persistent: [{ handle, publicBlob }], nv: [{ index, attributes, size,
  // data? }] }: the EK-range objects and NV indices as stored (tpm_attest.cc).
  Napi::Value ReadEndorsement(const Napi::CallbackInfo& info) {
    return Run(info.Env(), [](TpmDevice* d) {
      auto e = std::make_shared<Endorsement>();
      OpStatus s = d->ReadEndorsement(e.get());
      return Done(s, [e](Napi::Env env) -> Napi::Value {
        Napi::Array persistent = Napi::Array::New(env, e->persistent.size());
        for (size_t i = 0; i < e->persistent.size(); i++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("handle", Napi::Number::New(env, e->persistent[i].first));
          o.Set("publicBlob", ToBuffer(env, e->persistent[i].second));
          persistent.Set(i, o);
        }
        Napi::Array nv = Napi::Array::New(env, e->nv.size());
        for (size_t i = 0; i < e->nv.size(); i++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("index", Napi::Number::New(env, e->nv[i].index));
          o.Set("attributes", Napi::Number::New(env, e->nv[i].attributes));
          o.Set("size", Napi::Number::New(env, e->nv[i].size));
          if (!e->nv[i].data.empty()) o.Set("data", ToBuffer(env, e->nv[i].data));
          nv.Set(i, o);
        }
        Napi::Object o = Napi::Object::New(env);
        o.Set("persistent", persistent);
        o.Set("nv", nv);
        return o;
      });
    });
  }

  // createEk(template) -> the EK's TPM2B_PUBLIC (made in the endorsement hierarchy, flushed)
  Napi::Value CreateEk(const Napi::CallbackInfo& info) {
    Bytes templ = CopyBytes(info[0], "template", sizeof(TPM2B_PUBLIC));
    return Run(info.Env(), [templ](TpmDevice* d) {
      auto pub = std::make_shared<Bytes>();
      OpStatus s = d->CreateEk(templ, pub.get());
      // Public, like everything attestation returns (statements, certificates): a plain Buffer.
      return Done(s, [pub](Napi::Env env) -> Napi::Value { return ToBuffer(env, *pub); });
    });
  }

  // certify(parent, publicBlob, privateBlob, akParent, akPublic, akPrivate, nonce, auth?)
  //   -> { certInfo, signature }
  Napi::Value Certify(const Napi::CallbackInfo& info) {
    KeyBlobs key = ToKey(info, 0);
    KeyBlobs ak = ToKey(info, 3);
    Bytes nonce = CopyBytes(info[6], "nonce", 64);
    SecretBytes auth = AuthArg(info, 7);
    return Run(info.Env(), [key = std::move(key), ak = std::move(ak), nonce, auth](TpmDevice* d) {
      auto attest = std::make_shared<Bytes>();
      auto signature = std::make_shared<Bytes>();
      OpStatus s = d->Certify(key, auth.bytes, ak, nonce, attest.get(), signature.get());
      return Done(s, [attest, signature](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("certInfo", ToBuffer(env, *attest));
        o.Set("signature", ToBuffer(env, *signature));
        return o;
      });
    });
  }

  // activateCredential(akParent, akPublic, akPrivate, ekHandle (0: from ekTemplate),
  //   ekTemplate, credentialBlob, encryptedSecret) -> the released secret
  Napi::Value ActivateCredential(const Napi::CallbackInfo& info) {
    KeyBlobs ak = ToKey(info, 0);
    uint32_t ekHandle = ToHandle(info[3]);
    Bytes templ = CopyBytes(info[4], "ekTemplate", sizeof(TPM2B_PUBLIC));
    Bytes blob = CopyBytes(info[5], "credentialBlob", sizeof(TPM2B_ID_OBJECT));
    Bytes secret = CopyBytes(info[6], "secret", sizeof(TPM2B_ENCRYPTED_SECRET));
    return Run(info.Env(), [ak = std::move(ak), ekHandle, templ, blob, secret](TpmDevice* d) {
      auto out = std::make_shared<SecretBytes>();
      OpStatus s = d->ActivateCredential(ak, ekHandle, templ, blob, secret, &out->bytes);
      return Done(s, SecretBufferOf(out));
    });
  }

  // close(): resolves once the operations queued before it are done, and every later close()
  // returns that same promise; later operations reject with reason "closed". The device itself
  // closes (flushing its handles) when no connection in the process uses it any more: that
  // teardown is queued on its worker thread before the promise's own task, so the promise of the
  // last close() resolves once the TPM connection is closed. Nothing here waits for the TPM.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::shared_ptr<SerialQueue> queue = device_ ? device_->sharedQueue() : nullptr;
    device_.reset();
    return ops_.Close(info.Env(), queue.get());
  }

  AsyncOps ops_;
  std::shared_ptr<TpmDevice> device_;  // after ops_: released first
  Bytes srkPin_;                       // the Name the owner SRK must have (pinSrk)
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
  o.Set("deepBind", tss2.deepBind);
  return o;
}

}  // namespace

void InitTpm(Napi::Env env, Napi::Object exports) {
  exports.Set("tss2Status", Napi::Function::New(env, Tss2Status, "tss2Status"));
  exports.Set("TpmConnection", TpmConnection::Define(env));
}

}  // namespace dk
