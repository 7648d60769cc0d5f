// Native failures as JS values. An operation's failure becomes a plain Error that carries the raw
// status (call, domain, status, statusText, or our own reason); the TS layer turns it into a
// KeystoreError with a stable code (src/native-errors.ts). Only a broken invariant of a call
// (a wrong argument type, which the TS layer rules out) is thrown as a KeystoreError from here.
#pragma once

#include <napi.h>

#include <string>

#include "status.h"

namespace dk {

// The JS error for a failed operation. Must run on the JS thread of `env`.
Napi::Value MakeJsError(Napi::Env env, const NativeError& error);

// Throws an E_INVALID_ARGUMENT KeystoreError: the C++ side re-checks what the TS layer validated.
[[noreturn]] void ThrowInvalidArgument(Napi::Env env, const std::string& message);

}  // namespace dk
