// Bytes, and the wiping of bytes that held a secret (no Node-API: used on worker threads and by
// the platform code as much as by the bindings).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dk {

using Bytes = std::vector<uint8_t>;

// Overwrites memory that held secret bytes; volatile, so the stores are not optimised away.
inline void Wipe(void* p, size_t n) {
  volatile uint8_t* b = static_cast<volatile uint8_t*>(p);
  while (n--) *b++ = 0;
}

inline void Wipe(Bytes* b) {
  Wipe(b->data(), b->size());
  b->clear();
}

// Bytes that are wiped when they go away: for secrets captured by a queued task (the task's
// copies are destroyed on the worker thread once it ran) and for secret results.
struct SecretBytes {
  SecretBytes() = default;
  explicit SecretBytes(Bytes b) : bytes(std::move(b)) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { Wipe(&bytes); }
  Bytes bytes;
};

}  // namespace dk
