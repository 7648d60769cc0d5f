// Native failures become instances of the package's own KeystoreError (handed to the addon at
// load time), with a stable `code`, a message that says what to do, and the raw status.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace dk {

struct NativeError {
  std::string code;     // E_TPM_UNAVAILABLE, E_TPM_PERMISSION, E_TPM_LOCKOUT, E_TPM_AUTH, E_TPM, ...
  std::string message;  // what failed, with the decoded status
  std::string hint;     // what to do next; may be empty
  int64_t tpmRc = -1;   // the raw TSS2_RC, or -1 when there is none
};

// Builds the JS error. Must run on the JS thread of `env`.
Napi::Value MakeJsError(Napi::Env env, const NativeError& error);

// Throws an E_INVALID_ARGUMENT error: the C++ side re-checks what the TS layer validated.
[[noreturn]] void ThrowInvalidArgument(Napi::Env env, const std::string& message);

}  // namespace dk
