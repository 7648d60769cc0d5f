// Results from a worker thread back to one environment's JS thread, shared by every tier's
// binding: an operation's promise is settled on the JS thread through a thread-safe function.
//
// Held by the binding object and by every pending operation, so it outlives both. When the
// environment is torn down (process exit, a worker thread that ends), Node deletes the
// thread-safe function on its own, possibly before the binding objects are finalized. After
// that, Release() or a call would touch freed memory (uv_mutex_lock aborts), so the function's
// finalizer marks it gone, under a mutex that worker threads take too.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <utility>

namespace dk {

// A finished operation. Settle runs on the JS thread and resolves or rejects `deferred`.
struct Completion {
  explicit Completion(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  virtual ~Completion() = default;
  virtual void Settle(Napi::Env env) = 0;
  Napi::Promise::Deferred deferred;
};

class JsLink {
 public:
  JsLink(Napi::Env env, const char* name) : state_(std::make_shared<State>()) {
    tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function(), name, 0, 1,
                                          [state = state_](Napi::Env) {
                                            std::lock_guard<std::mutex> lock(state->mutex);
                                            state->gone = true;
                                          });
    // Only pending operations keep the event loop alive (see Begin and the callback).
    tsfn_.Unref(env);
  }

  ~JsLink() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (!state_->gone) tsfn_.Release();
  }

  JsLink(const JsLink&) = delete;
  JsLink& operator=(const JsLink&) = delete;

  // JS thread: an operation starts.
  void Begin(Napi::Env env) {
    if (pending_++ == 0) tsfn_.Ref(env);
  }

  // Worker thread: hand the result over. If the environment is gone (a worker thread that was
  // terminated), the completion is dropped: nobody is waiting for it.
  static void Deliver(std::shared_ptr<JsLink> link, Completion* done) {
    using Payload = std::pair<Completion*, std::shared_ptr<JsLink>>;
    JsLink* self = link.get();
    auto* payload = new Payload(done, std::move(link));
    napi_status s = napi_closing;
    {
      std::lock_guard<std::mutex> lock(self->state_->mutex);
      if (!self->state_->gone) {
        s = self->tsfn_.NonBlockingCall(payload, [](Napi::Env env, Napi::Function, Payload* p) {
          std::unique_ptr<Completion> completion(p->first);
          std::shared_ptr<JsLink> owner = std::move(p->second);
          delete p;
          if (env == nullptr) return;  // the environment is shutting down
          try {
            Napi::HandleScope scope(env);
            completion->Settle(env);
          } catch (const Napi::Error& e) {
            // JS cannot run any more (worker.terminate() while this operation was queued), so
            // building the result failed. An exception leaving this callback would abort the
            // whole process; settle the promise if that still works, else drop it.
            try {
              completion->deferred.Reject(e.Value());
            } catch (...) {
            }
          }
          if (--owner->pending_ == 0) owner->tsfn_.Unref(env);
        });
      }
    }
    if (s != napi_ok) {
      // Outside the lock: dropping the last reference to the link runs ~JsLink.
      delete payload->first;
      delete payload;
    }
  }

 private:
  struct State {
    std::mutex mutex;
    bool gone = false;  // the thread-safe function was finalized by Node
  };

  std::shared_ptr<State> state_;
  Napi::ThreadSafeFunction tsfn_;
  int pending_ = 0;  // JS thread only
};

}  // namespace dk
