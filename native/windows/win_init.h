// The Windows room: file security (DACLs) for the store, and the NCrypt tiers.
#pragma once

#include <napi.h>

namespace dk {

// Registers win32FileSecurity and win32SetPrivateAcl, then InitNcrypt. Loads on every Windows
// 8 or later, tier or not: it needs only advapi32, ncrypt and tbs, which every one of them has.
void InitWindows(Napi::Env env, Napi::Object exports);

// Registers the NcryptProvider class (ncrypt_binding.cc): the windows-tpm and windows-ksp tiers.
void InitNcrypt(Napi::Env env, Napi::Object exports);

}  // namespace dk
