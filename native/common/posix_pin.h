// PinAddon for the POSIX platform folders: one more reference to the module holding `address`,
// opened RTLD_NODELETE and never closed. dlfcn.h is POSIX, not a platform SDK; on Linux the
// including file puts glibc_compat.h first, so that the oldest symbol versions are bound.
#pragma once

#include <dlfcn.h>

namespace dk {

inline void PinModuleContaining(const void* address) {
  Dl_info self;
  if (dladdr(address, &self) && self.dli_fname) {
    dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
}

}  // namespace dk
