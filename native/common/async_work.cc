#include "async_work.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <new>
#include <utility>

namespace dk {

Bytes CopyBytes(const Napi::Value& v, const char* what, size_t maxLen) {
  if (!v.IsBuffer()) ThrowInvalidArgument(v.Env(), std::string(what) + " must be a Buffer");
  auto b = v.As<Napi::Buffer<uint8_t>>();
  if (b.Length() > maxLen) ThrowInvalidArgument(v.Env(), std::string(what) + " is too long");
  return Bytes(b.Data(), b.Data() + b.Length());
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, const Bytes& b) {
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

ValueBuilder BufferOf(std::shared_ptr<const Bytes> b) {
  return [b](Napi::Env env) -> Napi::Value { return ToBuffer(env, *b); };
}

ValueBuilder SecretBufferOf(std::shared_ptr<SecretBytes> b) {
  return [b](Napi::Env env) -> Napi::Value {
    Napi::Value v = ToBuffer(env, b->bytes);
    Wipe(&b->bytes);
    return v;
  };
}

namespace {

// An exception that leaves a task on the worker thread would end the process (std::terminate):
// out of memory, or anything else thrown below the platform call, becomes a failed operation.
Outcome RunGuarded(const AsyncOps::Work& work) {
  NativeError e;
  try {
    return work();
  } catch (const std::bad_alloc&) {
    e.reason = "out-of-memory";
    e.detail = "the native addon ran out of memory";
  } catch (const std::exception& x) {
    e.reason = "internal-error";
    e.detail = x.what();
  } catch (...) {
    e.reason = "internal-error";
    e.detail = "an unknown native exception";
  }
  Status s;
  s.ok = false;
  s.error = std::move(e);
  return Done(s);
}

std::atomic<int64_t> liveLinks{0};
std::atomic<int64_t> liveCompletions{0};

// A queued operation: its promise and, once the work ran, its outcome.
struct Completion {
  explicit Completion(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {
    liveCompletions++;
  }
  ~Completion() { liveCompletions--; }
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  Napi::Promise::Deferred deferred;
  Outcome outcome;

  void Settle(Napi::Env env) {
    if (outcome.status.ok) {
      deferred.Resolve(outcome.value ? outcome.value(env) : env.Undefined());
    } else {
      deferred.Reject(MakeJsError(env, outcome.status.error));
    }
  }
};

}  // namespace

Napi::Value AsyncStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("links", Napi::Number::New(info.Env(), static_cast<double>(liveLinks.load())));
  o.Set("operations", Napi::Number::New(info.Env(), static_cast<double>(liveCompletions.load())));
  return o;
}

// The thread-safe function that carries completions to the JS thread. Shared by the owning
// AsyncOps and every operation in flight, so it lives until the last of them is done.
//
// The raw Node-API thread-safe function, not Napi::ThreadSafeFunction: when an environment is
// torn down with calls still queued, Node hands each of them to the callback with a null env,
// and node-addon-api's wrapper then returns without freeing them (and with them the link).
class AsyncOps::Link {
 public:
  Link(Napi::Env env, const char* name) : env_(env) {
    napi_value resource = Napi::String::New(env, name);
    NAPI_THROW_IF_FAILED_VOID(env, napi_create_threadsafe_function(
                                       env, nullptr, nullptr, resource, 0, 1, nullptr, nullptr,
                                       nullptr, &Link::CallJs, &tsfn_));
    // Only operations in flight keep the event loop alive (see Begin and Settled).
    napi_unref_threadsafe_function(env, tsfn_);
    // Registered after the thread-safe function, so it runs before Node's own cleanup of it
    // (cleanup hooks run in reverse order of registration).
    napi_add_env_cleanup_hook(env_, &Link::Teardown, this);
    liveLinks++;
  }

  // JS thread; or a worker thread, but only once the environment is gone (see Deliver and the
  // task in Run, which hands its reference to the JS thread instead of dropping it).
  ~Link() {
    liveLinks--;
    std::lock_guard<std::mutex> lock(mutex_);
    if (gone_) return;  // the hook ran, and Node owns (and frees) the thread-safe function
    napi_remove_env_cleanup_hook(env_, &Link::Teardown, this);
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
  }

  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // JS thread: an operation starts.
  void Begin(Napi::Env env) {
    if (pending_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
  }

  // Any thread: the environment is being torn down, so nobody waits for new results.
  bool Gone() {
    std::lock_guard<std::mutex> lock(mutex_);
    return gone_;
  }

  // Worker thread: hands a finished operation to the JS thread, or drops it if the environment
  // is gone (nobody is waiting for it any more).
  static void Deliver(std::shared_ptr<Link> link, Completion* done) {
    Link* self = link.get();
    auto* payload = new Payload(done, std::move(link));
    napi_status s = napi_closing;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      if (!self->gone_) s = napi_call_threadsafe_function(self->tsfn_, payload, napi_tsfn_nonblocking);
    }
    if (s != napi_ok) Free(payload);  // outside the lock: the last reference may run ~Link
  }

 private:
  using Payload = std::pair<Completion*, std::shared_ptr<Link>>;

  static void Free(Payload* p) {
    delete p->first;
    delete p;
  }

  // JS thread, called by the thread-safe function; with a null env for every call still queued
  // when the environment goes away, which must then only be freed.
  static void CallJs(napi_env raw, napi_value, void*, void* data) {
    auto* p = static_cast<Payload*>(data);
    std::unique_ptr<Completion> completion(p->first);
    std::shared_ptr<Link> owner = std::move(p->second);
    delete p;
    if (raw == nullptr) return;  // the environment is shutting down
    Napi::Env env(raw);
    try {
      Napi::HandleScope scope(env);
      completion->Settle(env);
    } catch (const Napi::Error& e) {
      // JS cannot run any more (worker.terminate() while this operation was queued), so building
      // the result failed. An exception leaving this callback would abort the whole process:
      // settle the promise if that still works, else drop it.
      try {
        completion->deferred.Reject(e.Value());
      } catch (...) {
      }
    } catch (const std::bad_alloc&) {
      // Out of memory building the result (a copy of its bytes): the same, saying so.
      RejectQuietly(env, completion.get(), "out-of-memory", "the native addon ran out of memory");
    } catch (const std::exception& x) {
      RejectQuietly(env, completion.get(), "internal-error", x.what());
    }
    if (--owner->pending_ == 0) napi_unref_threadsafe_function(raw, owner->tsfn_);
  }

  // Rejects with one of our reasons, if JS can still run; never throws.
  static void RejectQuietly(Napi::Env env, Completion* completion, const char* reason,
                            const char* detail) {
    try {
      NativeError e;
      e.reason = reason;
      e.detail = detail;
      completion->deferred.Reject(MakeJsError(env, e));
    } catch (...) {
    }
  }

  // The environment is being torn down: the thread-safe function is about to be deleted by
  // Node, so no thread may call it from now on.
  static void Teardown(void* arg) {
    auto* self = static_cast<Link*>(arg);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->gone_ = true;
  }

  napi_env env_;
  napi_threadsafe_function tsfn_ = nullptr;
  std::mutex mutex_;   // guards gone_ against worker threads calling tsfn_
  bool gone_ = false;  // the environment's cleanup hooks ran
  int pending_ = 0;    // JS thread only
};

AsyncOps::AsyncOps(Napi::Env env, const char* name) : link_(std::make_shared<Link>(env, name)) {}

AsyncOps::~AsyncOps() = default;

Napi::Value AsyncOps::Run(Napi::Env env, SerialQueue* queue, Work work) {
  if (closed_ || !queue) {
    NativeError e;
    e.reason = "closed";
    e.detail = "this connection was closed";
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(MakeJsError(env, e));
    return d.Promise();
  }
  auto* completion = new Completion(env);
  Napi::Promise promise = completion->deferred.Promise();
  link_->Begin(env);
  queue->Post([link = link_, completion, work = std::move(work)]() mutable {
    // Work whose environment is gone is not started: nobody waits for it, and a keychain or TPM
    // call that nobody records (a new key) must not happen behind the caller's back.
    if (!link->Gone()) completion->outcome = RunGuarded(work);
    // The task gives its reference away rather than copying it: a copy would die with the task,
    // on this thread, after the JS thread may have dropped every other one. ~Link would then
    // call napi_remove_env_cleanup_hook here, which enters V8 (a HandleScope) off the JS thread:
    // V8's fatal "Entering the V8 API without proper locking" under worker_threads.
    Link::Deliver(std::move(link), completion);
  });
  return promise;
}

Napi::Value AsyncOps::Close(Napi::Env env, SerialQueue* queue) {
  if (!closed_) {
    Napi::Value done = Run(env, queue, [] { return Outcome{}; });
    closed_ = true;
    closing_ = Napi::Persistent(done.As<Napi::Object>());
  }
  return closing_.Value();
}

}  // namespace dk
