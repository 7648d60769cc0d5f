// Entry point of the TPM tier (native/linux-tpm/tpm_binding.cc), called by InitPlatform.
#pragma once

#include <napi.h>

namespace dk {

// Registers the TPM exports (tss2Status, TpmConnection). tss2 is loaded at run time and its
// headers are vendored, so every Linux build has them.
void InitTpm(Napi::Env env, Napi::Object exports);

}  // namespace dk
