// native/common/platform.h for Windows.
#include <windows.h>

#include "../common/platform.h"
#include "win_init.h"

namespace dk {

void PinAddon() {
  // The Windows counterpart of RTLD_NODELETE: the module stays loaded until the process ends.
  HMODULE self = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     reinterpret_cast<LPCWSTR>(reinterpret_cast<void*>(&PinAddon)), &self);
}

void InitPlatform(Napi::Env env, Napi::Object exports) {
  // Store file security (DACLs); needs only advapi32, so the addon loads on every Windows.
  InitWindows(env, exports);
}

}  // namespace dk
