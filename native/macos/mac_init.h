// Entry point of the macOS tiers, called from the Addon constructor (native/common/addon.cc)
// in builds with DK_WITH_MACOS (binding.gyp sets it for OS=="mac").
#pragma once

#include <napi.h>

namespace dk {

// Registers macosBuiltIn (true) and the MacSecurity class on the addon's exports.
void InitMacos(Napi::Env env, Napi::Object exports);

}  // namespace dk
