// Bind dlopen/dlsym/dlerror/dlinfo/dladdr to their oldest symbol versions, so that a prebuild linked on
// a new glibc (where they moved into libc as GLIBC_2.34) still loads on glibc 2.17 and later.
// Must be included before any use of these functions. `objdump -T` on the .node checks it
// (test/native-load.test.ts).
#pragma once

#include <features.h>  // defines __GLIBC__

#if defined(__linux__) && defined(__GLIBC__)
#if defined(__x86_64__)
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
__asm__(".symver dlinfo,dlinfo@GLIBC_2.3.3");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver dlopen,dlopen@GLIBC_2.17");
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
__asm__(".symver dlerror,dlerror@GLIBC_2.17");
__asm__(".symver dlinfo,dlinfo@GLIBC_2.17");
__asm__(".symver dladdr,dladdr@GLIBC_2.17");
#endif

// libstdc++ (GCC >= 11) reads glibc 2.32's __libc_single_threaded to skip atomics in
// shared_ptr when a process has one thread. Defining it here, hidden, as 0 ("maybe
// multi-threaded") keeps the reference inside the addon, so older glibc loads it; the only
// cost is that the atomics always run, which is what a multi-threaded addon needs anyway.
extern "C" char __libc_single_threaded;
#endif
