// Per-environment state (main thread, each worker_thread, each Electron renderer): nothing
// mutable is static, so the addon is context-aware.
#pragma once

#include <napi.h>

namespace dk {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

  // The KeystoreError class from the TS layer, for E_INVALID_ARGUMENT; empty until setErrorClass.
  Napi::FunctionReference errorClass;

 private:
  Napi::Value SetErrorClass(const Napi::CallbackInfo& info);
};

}  // namespace dk
