// The Windows room: file security (DACLs) for the store today; an NCrypt tier later.
#pragma once

#include <napi.h>

namespace dk {

// Registers win32FileSecurity and win32SetPrivateAcl. Loads on every Windows, tier or not:
// it needs only advapi32, which every Windows has.
void InitWindows(Napi::Env env, Napi::Object exports);

}  // namespace dk
