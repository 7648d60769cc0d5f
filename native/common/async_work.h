// The one async pattern of every platform binding (TPM, macOS, and later Windows):
//   1. on the JS thread, arguments are checked and copied off the JS heap (CopyBytes);
//   2. the work runs on a SerialQueue worker thread and never touches JS;
//   3. its Outcome (a value builder, or a NativeError with the raw status) travels back through a
//      thread-safe function, and the promise settles on the JS thread.
// Secrets are wiped where they die: inputs captured as SecretBytes when the task is destroyed on
// the worker thread, results by SecretBufferOf once copied into JS.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

#include "errors.h"
#include "secret.h"
#include "serial_queue.h"
#include "status.h"

namespace dk {

// ---- arguments and results (JS thread) ---------------------------------------------------------

// A Buffer argument, copied; E_INVALID_ARGUMENT if it is not a Buffer or is longer than maxLen.
Bytes CopyBytes(const Napi::Value& v, const char* what, size_t maxLen);
Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const Bytes& b);

// Builds an operation's resolved value on the JS thread; an empty one resolves with undefined.
using ValueBuilder = std::function<Napi::Value(Napi::Env)>;

ValueBuilder BufferOf(std::shared_ptr<const Bytes> b);
// A Buffer of secret bytes (a shared secret, unsealed data): the native copy is wiped once copied.
ValueBuilder SecretBufferOf(std::shared_ptr<SecretBytes> b);

// What an operation hands back from its worker thread.
struct Outcome {
  Status status;
  ValueBuilder value;
};

inline Outcome Done(Status s, ValueBuilder value = nullptr) {
  return Outcome{std::move(s), std::move(value)};
}

// How many links (one per object with async work: a TpmConnection, a MacSecurity) and queued
// operations are alive in the process, across every environment: { links, operations }. For
// the leak tests (test/tpm.test.ts): an environment that ends must leave none of its own behind.
Napi::Value AsyncStats(const Napi::CallbackInfo& info);

// ---- the per-object async state -----------------------------------------------------------------

// Owned by one JS object (a TpmConnection, a MacSecurity). Run queues work and returns its
// promise; Close resolves when the work queued before it is done, returns that same promise on
// every later call, and makes later Runs reject with reason "closed".
//
// Environment teardown (process exit, a worker thread ending, worker.terminate()) is observed
// with a Node-API env cleanup hook: from then on, results of work still in flight are dropped
// (nobody is waiting for them) instead of being posted to an environment that is going away.
class AsyncOps {
 public:
  using Work = std::function<Outcome()>;

  AsyncOps(Napi::Env env, const char* name);
  ~AsyncOps();
  AsyncOps(const AsyncOps&) = delete;
  AsyncOps& operator=(const AsyncOps&) = delete;

  // `queue` may be null once closed (the call then rejects without touching it).
  Napi::Value Run(Napi::Env env, SerialQueue* queue, Work work);
  // `queue` is used by the first call only.
  Napi::Value Close(Napi::Env env, SerialQueue* queue);
  bool closed() const { return closed_; }

 private:
  class Link;
  std::shared_ptr<Link> link_;
  Napi::ObjectReference closing_;  // the promise every close() returns
  bool closed_ = false;
};

}  // namespace dk
