#include "errors.h"

#include "addon.h"

namespace dk {

Napi::Value MakeJsError(Napi::Env env, const NativeError& error) {
  Addon* addon = env.GetInstanceData<Addon>();
  Napi::Object details = Napi::Object::New(env);
  if (!error.hint.empty()) details.Set("hint", error.hint);
  if (error.tpmRc >= 0) details.Set("tpmRc", Napi::Number::New(env, static_cast<double>(error.tpmRc)));
  if (addon && !addon->errorClass.IsEmpty()) {
    return addon->errorClass.New(
        {Napi::String::New(env, error.code), Napi::String::New(env, error.message), details});
  }
  // Used without the TS layer (a bare require of the .node): a plain Error with the same fields.
  Napi::Object plain = Napi::Error::New(env, error.message).Value();
  plain.Set("code", Napi::String::New(env, error.code));
  if (error.tpmRc >= 0) plain.Set("tpmRc", Napi::Number::New(env, static_cast<double>(error.tpmRc)));
  if (!error.hint.empty()) plain.Set("hint", Napi::String::New(env, error.hint));
  return plain;
}

void ThrowInvalidArgument(Napi::Env env, const std::string& message) {
  Napi::Value e = MakeJsError(env, {"E_INVALID_ARGUMENT", message, "", -1});
  throw Napi::Error(env, e);
}

}  // namespace dk
