#include "addon.h"

#if defined(__linux__)
#include "../linux-tpm/glibc_compat.h"
#endif
#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include "async_work.h"
#include "errors.h"

#ifdef DK_WITH_MACOS
#include "../macos/mac_init.h"
#endif
#ifdef _WIN32
#include "../windows/win_init.h"
#endif

namespace dk {

namespace {

// Worker threads of an object whose environment is gone finish their last task on their own
// (serial_queue.h). Node unloads an addon with the environment that loaded it (a worker thread
// ending), so take one reference to ourselves that is never dropped: the code stays mapped for
// as long as any such thread runs.
void PinAddon() {
#if defined(_WIN32)
  // The Windows counterpart of RTLD_NODELETE: the module stays loaded until the process ends.
  HMODULE self = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     reinterpret_cast<LPCWSTR>(reinterpret_cast<void*>(&PinAddon)), &self);
#else
  Dl_info self;
  if (dladdr(reinterpret_cast<void*>(&PinAddon), &self) && self.dli_fname) {
    dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
#endif
}

}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) {
  PinAddon();
  DefineAddon(exports, {InstanceMethod("setErrorClass", &Addon::SetErrorClass)});
  exports.Set("asyncStats", Napi::Function::New(env, AsyncStats, "asyncStats"));
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
