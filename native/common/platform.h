// The one seam between the common addon and a platform folder: binding.gyp compiles exactly one
// folder that defines these (native/linux-tpm, native/macos, native/windows, or native/other on
// an OS with no device tier), so native/common includes no platform header
// (test/unit/native-layering.test.ts checks it).
#pragma once

#include <napi.h>

namespace dk {

// Keeps the addon's code mapped until the process ends. Worker threads of an object whose
// environment is gone finish their last task on their own (serial_queue.h), and Node unloads an
// addon with the environment that loaded it (a worker thread ending).
void PinAddon();

// Registers the platform's exports (its tiers, file security) on the addon's exports.
void InitPlatform(Napi::Env env, Napi::Object exports);

}  // namespace dk
