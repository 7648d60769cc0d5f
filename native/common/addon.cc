#include "addon.h"

#include "errors.h"

#ifdef DK_WITH_MACOS
#include "../macos/mac_init.h"
#endif
#ifdef _WIN32
#include "../windows/win_init.h"
#endif

namespace dk {

Addon::Addon(Napi::Env env, Napi::Object exports) {
  DefineAddon(exports, {InstanceMethod("setErrorClass", &Addon::SetErrorClass)});
#ifdef __linux__
  // Every Linux build has the TPM tier: tss2 is loaded at run time, and its headers are vendored.
  InitTpm(env, exports);
#endif
#ifdef DK_WITH_MACOS
  InitMacos(env, exports);
#endif
#ifdef _WIN32
  // Store file security (DACLs); needs only advapi32, so the addon loads on every Windows.
  InitWindows(env, exports);
#endif
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
