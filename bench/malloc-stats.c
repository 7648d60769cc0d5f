// LD_PRELOAD probe for bench:soak's question "leak or allocator?", over the whole process (node,
// the addon, tss2, OpenSSL). A thread prints every MALLOC_STATS_SECONDS (default 10) to stderr:
//   live    allocations made and not yet freed (malloc, calloc, realloc, memalign family),
//           counted here; growing with the signatures = a leak somewhere in the process
//   calls   allocation calls so far; their rate over the signature rate = allocations per sign
//   inuse   glibc's mallinfo2(): bytes handed out (all arenas); `free`: bytes the allocator
//           keeps without using them; RSS growth with inuse flat is the allocator's, not a leak
//   cc -shared -fPIC -O2 -o build/bench/malloc-stats.so bench/malloc-stats.c -lpthread
//   LD_PRELOAD=build/bench/malloc-stats.so node --expose-gc bench/soak.mjs --tier tpm
// At exit it prints the totals once more (a C program's allocations per call: run it twice
// with different counts and divide the difference).
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

// glibc's own entry points: calling them needs no dlsym (which itself allocates).
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

static atomic_long live;
static atomic_long calls;

static void* counted(void* p) {
  if (p) {
    atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
  }
  return p;
}

void* malloc(size_t n) { return counted(__libc_malloc(n)); }
void* calloc(size_t n, size_t m) { return counted(__libc_calloc(n, m)); }
void* memalign(size_t a, size_t n) { return counted(__libc_memalign(a, n)); }
void* aligned_alloc(size_t a, size_t n) { return counted(__libc_memalign(a, n)); }
void* valloc(size_t n) { return counted(__libc_memalign(getpagesize(), n)); }
int posix_memalign(void** out, size_t a, size_t n) {
  void* p = counted(__libc_memalign(a, n));
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) {
  if (p) atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
  __libc_free(p);
}
void* realloc(void* p, size_t n) {
  if (!p) return counted(__libc_realloc(p, n));
  if (n == 0) {
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
  }
  atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
  return __libc_realloc(p, n);  // a moved block is still one live allocation
}

static void* report(void* arg) {
  (void)arg;
  const char* env = getenv("MALLOC_STATS_SECONDS");
  unsigned seconds = env ? (unsigned)atoi(env) : 10;
  for (unsigned t = 0;; t += seconds) {
    struct mallinfo2 m = mallinfo2();
    fprintf(stderr,
            "malloc-stats t=%us live=%ld calls=%ld arena=%.2fMiB mmap=%.2fMiB inuse=%.2fMiB "
            "free=%.2fMiB\n",
            t, atomic_load(&live), atomic_load(&calls), m.arena / 1048576.0, m.hblkhd / 1048576.0,
            m.uordblks / 1048576.0, m.fordblks / 1048576.0);
    sleep(seconds);
  }
  return NULL;
}

__attribute__((destructor)) static void at_exit(void) {
  fprintf(stderr, "malloc-stats exit live=%ld calls=%ld\n", atomic_load(&live), atomic_load(&calls));
}

__attribute__((constructor)) static void start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, report, NULL) == 0) pthread_detach(t);
}
