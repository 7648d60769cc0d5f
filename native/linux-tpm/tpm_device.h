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

#include "../common/secret.h"
#include "../common/serial_queue.h"
#include "../common/status.h"
#include "session_crypto.h"
#include "tpm_session.h"
#include "tss2_api.h"

namespace dk {

// A key as the TSS2 PEM file holds it: parent handle and the marshalled TPM2B blobs.
struct KeyBlobs {
  uint32_t parent = 0;
  Bytes publicBlob;   // TPM2B_PUBLIC, with its size prefix
  Bytes privateBlob;  // TPM2B_PRIVATE, with its size prefix
};

// The outcome of one operation on the worker thread: on failure, the raw TSS2_RC (domain "tss2")
// and its Tss2_RC_Decode text, or one of our reasons; src/backends/tss2-status.ts names it.
struct OpStatus : Status {
  // The connection, or the TPM's copy of our objects (a TPM restart, another client flushing
  // them), was lost; the context was dropped and the operation may succeed on a new one.
  bool retry = false;
};

// What a TPM holds about its endorsement (tpm_attest.cc): the persistent objects in the EK
// range and the NV indices in the EK certificate range, read as they are.
struct Endorsement {
  std::vector<std::pair<uint32_t, Bytes>> persistent;  // handle, TPM2B_PUBLIC
  struct Nv {
    uint32_t index = 0;
    uint32_t attributes = 0;
    uint16_t size = 0;
    Bytes data;  // empty when it cannot be read without authorization we do not have
  };
  std::vector<Nv> nv;
};

// An attestation key as we make them (tpm_attest.cc): a restricted signing key, ECC P-256 or
// RSA-2048, fixedTPM and fixedParent, that decrypts nothing.
bool IsAttestationKey(const TPMT_PUBLIC& area);

class TpmDevice {
 public:
  // The device for `tcti`, created on first use. Called on JS threads. Dropping the returned
  // pointer never blocks: the last user's drop queues the teardown on the worker thread.
  static std::shared_ptr<TpmDevice> Acquire(const std::string& tcti,
                                            std::shared_ptr<const Tss2Api> api);

  TpmDevice(std::string tcti, std::shared_ptr<const Tss2Api> api,
            std::shared_ptr<SerialQueue> queue);
  ~TpmDevice();  // worker thread only (Release queues it there)

  // Every task on this device runs on this queue's thread, in order.
  SerialQueue& queue() { return *queue_; }
  std::shared_ptr<SerialQueue> sharedQueue() const { return queue_; }

  // ---- worker thread only -------------------------------------------------------------
  // The owner hierarchy's password, for TPMs that have one. Applied at the next connect too.
  void SetOwnerAuth(const Bytes& auth);
  // The Name the owner SRK must have for the operations that follow (the connection's pin, set
  // before each of its operations); empty = not pinned, and then no secret-bearing command runs.
  void ExpectSrk(const Bytes& name) { expectedSrk_ = name; }
  // The operations. Each runs through WithReconnect.
  // The owner SRK's Name (0x000B || SHA-256 of its public area), for a store to pin.
  OpStatus SrkName(Bytes* out);
  // TPM properties (TPM2_PT_* -> value) from the fixed and variable groups.
  OpStatus Properties(std::map<uint32_t, uint32_t>* out);
  // `userAuth`: the new object's authValue (a PIN), sent only inside the encrypted session.
  OpStatus CreateKey(uint32_t parent, const Bytes& templ, const Bytes& sensitiveData,
                     const Bytes& userAuth, KeyBlobs* out);
  // `auth`: the key's authValue (empty for keys without a PIN).
  OpStatus Sign(const KeyBlobs& key, const uint8_t digest[32], const Bytes& auth, Bytes* rs);
  OpStatus Ecdh(const KeyBlobs& key, const Bytes& x, const Bytes& y, const Bytes& auth, Bytes* z);
  OpStatus Unseal(const KeyBlobs& key, Bytes* out);
  // ---- attestation (tpm_attest.cc) ----
  OpStatus ReadEndorsement(Endorsement* out);
  // TPM2_CreatePrimary in the endorsement hierarchy from `templ` (an EK template), flushed
  // again: the EK's TPM2B_PUBLIC.
  OpStatus CreateEk(const Bytes& templ, Bytes* publicBlob);
  // TPM2_Certify of `key` by the attestation key `ak` (empty authValue) with `nonce` as the
  // qualifying data, through the salted session: TPMS_ATTEST and TPMT_SIGNATURE.
  OpStatus Certify(const KeyBlobs& key, const Bytes& keyAuth, const KeyBlobs& ak,
                   const Bytes& nonce, Bytes* attest, Bytes* signature);
  // TPM2_ActivateCredential with `ak` and the EK (persistent `ekHandle`, else made from
  // `ekTemplate`), the EK authorized by PolicySecret(TPM_RH_ENDORSEMENT).
  OpStatus ActivateCredential(const KeyBlobs& ak, uint32_t ekHandle, const Bytes& ekTemplate,
                              const Bytes& credentialBlob, const Bytes& secret, Bytes* out);

 private:
  // Runs `op`; if it failed because a connection that existed before it was lost, runs it once
  // more on a fresh connection (so a TPM restart between two calls costs no failed call).
  OpStatus WithReconnect(const std::function<OpStatus()>& op);

  enum class Kind { kEccP256Key, kSealedData, kAttestationKey };
  struct Loaded {
    Kind kind = Kind::kEccP256Key;  // what it was checked as when loaded
    uint32_t tpmHandle = 0;  // loaded and flushed by raw commands (ESAPI never sees it)
    Bytes name;              // bound into each command's cpHash
    std::list<std::string>::iterator lru;
  };

  static void Release(TpmDevice* device);

  OpStatus Connect();
  void ApplyOwnerAuth();
  void Disconnect(bool flush);
  OpStatus Check(TSS2_RC rc, const char* call);
  OpStatus ParentHandle(uint32_t parent, ESYS_TR* out);
  // What an operation needs the loaded object to be; checked on the blobs before the TPM sees
  // them, whatever the TS layer checked.
  OpStatus Load(const KeyBlobs& key, Kind kind, Loaded* out);
  OpStatus ConnectAndLoad(const KeyBlobs& key, Kind kind, Loaded* out);
  // Creates the owner SRK if needed and compares its Name with the pin: nothing that carries a
  // secret is sent to a TPM whose SRK is not the one the store was made with.
  OpStatus RequirePinnedSrk();
  // Runs one command through the HMAC session (started, salted to the pinned SRK, on first use).
  OpStatus RunInSession(const HmacSession::Command& command, const char* call, Bytes* params,
                        uint32_t* responseHandle = nullptr);
  // Connects, loads `key` (checked to be a `kind`), and runs `command` on it in the session: the
  // caller sets the command code, parameters, authValue and encryption, this the handle and Name.
  OpStatus RunOnKey(const KeyBlobs& key, Kind kind, HmacSession::Command* command,
                    const char* call, Bytes* params);
  void FlushRaw(uint32_t tpmHandle);
  // A persistent parent stands in for the owner SRK only if its Name is the H-2 SRK's.
  OpStatus CheckPersistentParent(ESYS_TR persistent);
  bool EvictLeastRecentlyUsed();
  // Runs `call` (an Esys call that needs a free object slot) until it succeeds, fails for
  // another reason, or no key we loaded is left to evict.
  template <typename Call>
  TSS2_RC WithFreeSlot(Call call);
  OpStatus StartEncryptedSession(TPMA_SESSION attributes, ESYS_TR* session);
  // tpm_attest.cc; WithSlot is WithFreeSlot for the calls made there.
  template <typename Call>
  TSS2_RC WithSlot(Call call);
  OpStatus ReadPublicBlob(ESYS_TR object, Bytes* out, TPMI_ALG_HASH* nameAlg);
  OpStatus ListHandles(uint32_t first, uint32_t last, std::vector<uint32_t>* out);
  OpStatus ReadNv(uint32_t index, Endorsement::Nv* out);
  OpStatus EkHandle(uint32_t persistent, const Bytes& templ, ESYS_TR* out, bool* transient);
  OpStatus PolicySecretSession(TPMI_ALG_HASH hash, ESYS_TR* session);
  void FlushQuietly(ESYS_TR handle);

  const std::string tcti_;
  const std::shared_ptr<const Tss2Api> api_;
  TSS2_TCTI_CONTEXT* tctiContext_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR srk_ = ESYS_TR_NONE;
  Bytes srkName_, srkX_, srkY_;  // of srk_, from CreatePrimary's response
  Bytes expectedSrk_;
  std::unique_ptr<SessionCrypto> crypto_;
  std::unique_ptr<HmacSession> session_;
  ESYS_TR persistentSrk_ = ESYS_TR_NONE;
  uint32_t persistentHandle_ = 0;  // the TPM handle persistentSrk_ names
  SecretBytes ownerAuth_;
  std::map<std::string, Loaded> loaded_;
  std::list<std::string> lru_;  // front = most recently used
  std::shared_ptr<SerialQueue> queue_;  // shared with a successor for the same TCTI
};

}  // namespace dk
