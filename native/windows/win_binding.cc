// JS <-> C for native/windows/: argument checks and conversions only. The calls are quick local
// metadata reads and writes, so they run synchronously; a failure throws the raw error
// (call, domain "win32", status, statusText), which src/backends/win32-status.ts maps.
#include <napi.h>
#include <windows.h>

#include "../common/errors.h"
#include "win_acl.h"
#include "win_init.h"

namespace dk {
namespace {

std::string PathArg(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowInvalidArgument(info.Env(), std::string(fn) + " needs a path string");
  }
  std::string p = info[0].As<Napi::String>().Utf8Value();
  if (p.empty() || p.find('\0') != std::string::npos) {
    ThrowInvalidArgument(info.Env(), std::string(fn) + " needs a non-empty path");
  }
  return p;
}

[[noreturn]] void ThrowRaw(Napi::Env env, const Status& s) {
  throw Napi::Error(env, MakeJsError(env, s.error));
}

Napi::Value FileSecurity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, "win32FileSecurity");
  WinFileSecurity sec;
  Status s = ReadFileSecurity(path, &sec);
  if (!s.ok) ThrowRaw(env, s);
  Napi::Object out = Napi::Object::New(env);
  out.Set("owner", sec.owner);
  out.Set("daclPresent", sec.daclPresent);
  Napi::Array aces = Napi::Array::New(env, sec.aces.size());
  for (size_t i = 0; i < sec.aces.size(); i++) {
    const WinAce& a = sec.aces[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", a.type);
    o.Set("sid", a.sid);
    if (!a.name.empty()) o.Set("name", a.name);
    o.Set("mask", Napi::Number::New(env, a.mask));
    o.Set("inherited", a.inherited);
    o.Set("inheritOnly", a.inheritOnly);
    aces.Set(static_cast<uint32_t>(i), o);
  }
  out.Set("aces", aces);
  return out;
}

Napi::Value SetPrivate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, "win32SetPrivateAcl");
  if (info.Length() < 2 || !info[1].IsBoolean()) {
    ThrowInvalidArgument(env, "win32SetPrivateAcl needs (path, directory: boolean)");
  }
  Status s = SetPrivateAcl(path, info[1].As<Napi::Boolean>().Value());
  if (!s.ok) ThrowRaw(env, s);
  return env.Undefined();
}

}  // namespace

void InitWindows(Napi::Env env, Napi::Object exports) {
  // Wine maps a DACL onto Unix mode bits, lossily (a DACL for the user, SYSTEM and
  // Administrators becomes mode 0775), so the TS layer must know when it runs there.
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  using WineGetVersion = const char* (*)();
  auto wineGetVersion =
      ntdll ? reinterpret_cast<WineGetVersion>(
                  reinterpret_cast<void*>(GetProcAddress(ntdll, "wine_get_version")))
            : nullptr;
  if (wineGetVersion) exports.Set("wineVersion", std::string(wineGetVersion()));
  exports.Set("win32FileSecurity", Napi::Function::New(env, FileSecurity, "win32FileSecurity"));
  exports.Set("win32SetPrivateAcl", Napi::Function::New(env, SetPrivate, "win32SetPrivateAcl"));
  InitNcrypt(env, exports);
}

}  // namespace dk
