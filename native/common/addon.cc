#include "addon.h"

#include "async_work.h"
#include "errors.h"
#include "platform.h"

namespace dk {

Addon::Addon(Napi::Env env, Napi::Object exports) {
  PinAddon();
  DefineAddon(exports, {InstanceMethod("setErrorClass", &Addon::SetErrorClass)});
  exports.Set("asyncStats", Napi::Function::New(env, AsyncStats, "asyncStats"));
  InitPlatform(env, exports);
}

Napi::Value Addon::SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsFunction()) {
    ThrowInvalidArgument(info.Env(), "setErrorClass needs the KeystoreError class");
  }
  errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace dk

using DeviceKeystoreAddon = dk::Addon;
NODE_API_ADDON(DeviceKeystoreAddon)
