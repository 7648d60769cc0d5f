#include "glibc_compat.h"

#include "tss2_api.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>

namespace dk {
namespace {

struct LibSpec {
  const char* key;
  const char* soname;
  const char* debianPackage;
};

const LibSpec kLibs[] = {
    {"esys", "libtss2-esys.so.0", "libtss2-esys-3.0.2-0"},
    {"tctildr", "libtss2-tctildr.so.0", "libtss2-tctildr0"},
    {"rc", "libtss2-rc.so.0", "libtss2-rc0"},
    {"mu", "libtss2-mu.so.0", "libtss2-mu0 (libtss2-mu-4.0.1-0 on newer releases)"},
};

std::string LoadedPath(void* handle) {
  struct link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name) return map->l_name;
  return "";
}

#if defined(RTLD_DEEPBIND) && !defined(DK_TSS2_NO_DEEPBIND)
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
constexpr bool kDeepBind = true;
#elif defined(RTLD_DEEPBIND)
// The sanitizer build only (scripts/sanitize-native.sh defines DK_TSS2_NO_DEEPBIND): ASan's
// runtime refuses to dlopen anything with RTLD_DEEPBIND, which would hide malloc and friends
// from its interceptors. A build shipped to users never defines it; test/native-load.test.ts
// checks that the normal build reports DEEPBIND and binds tss2 to the system libcrypto.
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL;
constexpr bool kDeepBind = false;
#else
// musl has no RTLD_DEEPBIND. There tss2's OpenSSL references resolve in the usual order; on
// Alpine's own nodejs package links the system OpenSSL, so they reach the same libcrypto.
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL;
constexpr bool kDeepBind = false;
#endif

Tss2Load DoLoad(const std::string& libDir) {
  Tss2Load result;
  result.deepBind = kDeepBind;
  void* handles[sizeof(kLibs) / sizeof(kLibs[0])] = {};
  for (size_t i = 0; i < sizeof(kLibs) / sizeof(kLibs[0]); i++) {
    std::string name = libDir.empty() ? kLibs[i].soname : libDir + "/" + kLibs[i].soname;
    // DEEPBIND: tss2's own references (OpenSSL above all) resolve inside its dependency tree
    // first, not against the host binary's exported symbols (node's bundled OpenSSL, Electron's
    // BoringSSL). LOCAL: nothing we load leaks into the global namespace.
    handles[i] = dlopen(name.c_str(), kDlopenFlags);
    if (!handles[i]) {
      const char* why = dlerror();
      result.error = std::string(kLibs[i].soname) + " not found (" + (why ? why : "dlopen failed") +
                     "); install the Debian/Ubuntu package " + kLibs[i].debianPackage +
                     " (apt install libtss2-dev pulls in all of tss2)";
      return result;
    }
    result.libraries.push_back({kLibs[i].soname, LoadedPath(handles[i])});
  }
  auto api = std::make_shared<Tss2Api>();
  auto handleFor = [&](const char* key) -> void* {
    for (size_t i = 0; i < sizeof(kLibs) / sizeof(kLibs[0]); i++) {
      if (std::string(kLibs[i].key) == key) return handles[i];
    }
    return nullptr;
  };
#define DK_RESOLVE(lib, name)                                                            \
  api->name = reinterpret_cast<decltype(&::name)>(dlsym(handleFor(#lib), #name));       \
  if (!api->name) {                                                                      \
    result.error = std::string("symbol " #name " missing from libtss2-" #lib             \
                               "; tss2 3.0 or later is required");                       \
    return result;                                                                       \
  }
  DK_TSS2_FUNCTIONS(DK_RESOLVE)
#undef DK_RESOLVE
  // The handles stay open for the life of the process: unloading tss2 while another
  // environment may still call it is never safe, and the cost is one mapping.
  result.ok = true;
  result.api = std::move(api);
  return result;
}

}  // namespace

int Tss2DlopenFlags() { return kDlopenFlags; }

const Tss2Load& LoadTss2(const std::string& libDir) {
  // Loaded once per process, then immutable: every environment (worker thread) shares it.
  // A function-local static is initialised thread-safely by the compiler (and, unlike
  // std::call_once, needs no pthread_once@GLIBC_2.34).
  static const Tss2Load* loaded = new Tss2Load(DoLoad(libDir));
  return *loaded;
}

}  // namespace dk

#if defined(__linux__) && defined(__GLIBC__)
extern "C" {
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
}
#endif
