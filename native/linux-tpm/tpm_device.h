// One TPM, reached through one TCTI: one ESYS context, one serial worker thread, the SRK and a
// cache of loaded keys. Shared by every environment of the process that uses the same TCTI,
// because a TPM without a resource manager (swtpm, /dev/tpm0) serves one connection at a time
// and has a handful of object slots for everyone.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../common/errors.h"
#include "../common/serial_queue.h"
#include "tss2_api.h"

namespace dk {

using Bytes = std::vector<uint8_t>;

// A key as the TSS2 PEM file holds it: parent handle and the marshalled TPM2B blobs.
struct KeyBlobs {
  uint32_t parent = 0;
  Bytes publicBlob;   // TPM2B_PUBLIC, with its size prefix
  Bytes privateBlob;  // TPM2B_PRIVATE, with its size prefix
};

// The outcome of one operation on the worker thread.
struct OpStatus {
  bool ok = true;
  NativeError error;
  // The connection, or the TPM's copy of our objects (a TPM restart, another client flushing
  // them), was lost; the context was dropped and the operation may succeed on a new one.
  bool retry = false;
};

class TpmDevice {
 public:
  // The device for `tcti`, created on first use. Called on JS threads.
  static std::shared_ptr<TpmDevice> Acquire(const std::string& tcti,
                                            std::shared_ptr<const Tss2Api> api);

  TpmDevice(std::string tcti, std::shared_ptr<const Tss2Api> api);
  ~TpmDevice();

  // Runs `task` on the worker thread, after every task posted before it.
  void Post(std::function<void()> task) { queue_->Post(std::move(task)); }

  // ---- worker thread only -------------------------------------------------------------
  // The owner hierarchy's password, for TPMs that have one. Applied at the next connect too.
  void SetOwnerAuth(const Bytes& auth);
  // TPM properties (TPM2_PT_* -> value) from the fixed and variable groups.
  OpStatus Properties(std::map<uint32_t, uint32_t>* out);
  OpStatus CreateKey(uint32_t parent, const Bytes& templ, const Bytes& sensitiveData,
                     KeyBlobs* out);
  OpStatus Sign(const KeyBlobs& key, const uint8_t digest[32], Bytes* rs);
  OpStatus Ecdh(const KeyBlobs& key, const Bytes& x, const Bytes& y, Bytes* z);
  OpStatus Unseal(const KeyBlobs& key, Bytes* out);

 private:
  // Runs `op`; if it failed because a connection that existed before it was lost, runs it once
  // more on a fresh connection (so a TPM restart between two calls costs no failed call).
  OpStatus WithReconnect(const std::function<OpStatus()>& op);
  OpStatus DoProperties(std::map<uint32_t, uint32_t>* out);
  OpStatus DoCreateKey(uint32_t parent, const Bytes& templ, const Bytes& sensitiveData,
                       KeyBlobs* out);
  OpStatus DoSign(const KeyBlobs& key, const uint8_t digest[32], Bytes* rs);
  OpStatus DoEcdh(const KeyBlobs& key, const Bytes& x, const Bytes& y, Bytes* z);
  OpStatus DoUnseal(const KeyBlobs& key, Bytes* out);

  struct Loaded {
    ESYS_TR handle;
    std::list<std::string>::iterator lru;
  };

  OpStatus Connect();
  void Disconnect(bool flush);
  OpStatus Check(TSS2_RC rc, const char* call);
  OpStatus ParentHandle(uint32_t parent, ESYS_TR* out);
  OpStatus Load(const KeyBlobs& key, ESYS_TR* out);
  bool EvictLeastRecentlyUsed();
  OpStatus StartEncryptedSession(TPMA_SESSION attributes, ESYS_TR* session);
  void FlushQuietly(ESYS_TR handle);

  const std::string tcti_;
  const std::shared_ptr<const Tss2Api> api_;
  TSS2_TCTI_CONTEXT* tctiContext_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR srk_ = ESYS_TR_NONE;
  ESYS_TR persistentSrk_ = ESYS_TR_NONE;
  Bytes ownerAuth_;
  std::map<std::string, Loaded> loaded_;
  std::list<std::string> lru_;  // front = most recently used
  std::unique_ptr<SerialQueue> queue_;  // last: joined first on destruction
};

}  // namespace dk
