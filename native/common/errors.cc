#include "errors.h"

#include "addon.h"

namespace dk {

Napi::Value MakeJsError(Napi::Env env, const NativeError& error) {
  std::string message = error.call.empty() ? "" : error.call + " failed";
  const std::string what = error.domain.empty() ? error.detail : error.statusText;
  if (!what.empty()) message += (message.empty() ? "" : ": ") + what;
  Napi::Object e = Napi::Error::New(env, message).Value();
  if (!error.call.empty()) e.Set("call", error.call);
  if (!error.domain.empty()) {
    e.Set("domain", error.domain);
    e.Set("status", Napi::Number::New(env, static_cast<double>(error.status)));
    e.Set("statusText", error.statusText);
  }
  if (!error.reason.empty()) e.Set("reason", error.reason);
  if (!error.detail.empty()) e.Set("detail", error.detail);
  return e;
}

void ThrowInvalidArgument(Napi::Env env, const std::string& message) {
  Addon* addon = env.GetInstanceData<Addon>();
  if (addon && !addon->errorClass.IsEmpty()) {
    Napi::Object details = Napi::Object::New(env);
    throw Napi::Error(env, addon->errorClass.New({Napi::String::New(env, "E_INVALID_ARGUMENT"),
                                                  Napi::String::New(env, message), details}));
  }
  // Used without the TS layer (a bare require of the .node): a plain Error with the same code.
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, "E_INVALID_ARGUMENT"));
  throw e;
}

}  // namespace dk
