// native/common/platform.h for macOS.
#include "../common/platform.h"
#include "../common/posix_pin.h"
#include "mac_init.h"

namespace dk {

void PinAddon() { PinModuleContaining(reinterpret_cast<const void*>(&PinAddon)); }

void InitPlatform(Napi::Env env, Napi::Object exports) { InitMacos(env, exports); }

}  // namespace dk
