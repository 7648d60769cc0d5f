// Entry point of the macOS tiers, called by InitPlatform (mac_platform.cc), which binding.gyp
// compiles for OS=="mac".
#pragma once

#include <napi.h>

namespace dk {

// Registers macosBuiltIn (true) and the MacSecurity class on the addon's exports.
void InitMacos(Napi::Env env, Napi::Object exports);

}  // namespace dk
