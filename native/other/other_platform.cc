// native/common/platform.h for an OS with no device tier (binding.gyp: not Linux, macOS or
// Windows): the addon loads with the common exports only, and the TS layer finds no tier in it.
#include "../common/platform.h"
#include "../common/posix_pin.h"

namespace dk {

void PinAddon() { PinModuleContaining(reinterpret_cast<const void*>(&PinAddon)); }

void InitPlatform(Napi::Env, Napi::Object) {}

}  // namespace dk
