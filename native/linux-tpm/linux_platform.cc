// native/common/platform.h for Linux.
#include "glibc_compat.h"  // before any dl* call: binds their oldest symbol versions

#include "../common/platform.h"
#include "../common/posix_pin.h"
#include "tpm_init.h"

namespace dk {

void PinAddon() { PinModuleContaining(reinterpret_cast<const void*>(&PinAddon)); }

void InitPlatform(Napi::Env env, Napi::Object exports) { InitTpm(env, exports); }

}  // namespace dk
