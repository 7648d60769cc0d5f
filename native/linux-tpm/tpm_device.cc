#include "tpm_device.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

namespace dk {
namespace {

// How many loaded keys we keep before evicting even when the TPM has room (a resource manager
// reports plenty of slots); bounds native memory and TPM RAM.
constexpr size_t kMaxLoadedKeys = 32;

// The H-2 ECC SRK (TCG EK profile), see DESIGN.md §4a. CreatePrimary with exactly this template
// reproduces the same key every time from the owner seed; noDA and empty unique matter.
TPM2B_PUBLIC H2SrkTemplate() {
  TPM2B_PUBLIC t;
  std::memset(&t, 0, sizeof(t));
  t.publicArea.type = TPM2_ALG_ECC;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = 0x00030472;  // restricted|decrypt|noDA|fixedTPM|fixedParent|sDO|userWithAuth
  t.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
  t.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
  t.publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  t.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  t.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  t.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return t;
}

bool IsTransportFailure(TSS2_RC rc) {
  const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  const TSS2_RC base = rc & 0xFFFF;
  const bool stackLayer =
      layer == TSS2_TCTI_RC_LAYER || layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER;
  if (stackLayer && (base == TSS2_BASE_RC_NO_CONNECTION || base == TSS2_BASE_RC_TRY_AGAIN ||
                     base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_MALFORMED_RESPONSE)) {
    return true;
  }
  // ESAPI answers BAD_SEQUENCE when a command cut off by a dying connection left its context
  // mid-call: that context can never run another command, so it goes like a lost connection.
  return layer == TSS2_ESAPI_RC_LAYER && base == TSS2_BASE_RC_BAD_SEQUENCE;
}

// The TPM no longer has an object we hold a handle to: it restarted (transient objects do not
// survive TPM2_Startup), or another client of a TPM without a resource manager flushed it.
bool IsStaleHandle(TSS2_RC code) {
  return (code >= TPM2_RC_REFERENCE_H0 && code <= TPM2_RC_REFERENCE_H6) ||
         (code >= TPM2_RC_REFERENCE_S0 && code <= TPM2_RC_REFERENCE_S6);
}

// The TPM's own response code with the handle/session/parameter number stripped.
TSS2_RC TpmCode(TSS2_RC rc) {
  const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) return 0;
  const TSS2_RC code = rc & 0xFFF;
  if (code & TPM2_RC_FMT1) return (code & 0x3F) | TPM2_RC_FMT1;
  return code;
}

// Unmarshals a TPM2B_PUBLIC that must fill `blob` exactly, with a size prefix that covers
// exactly the TPMT_PUBLIC that was read: no trailing bytes inside or after it.
bool UnmarshalPublic(const Tss2Api& api, const Bytes& blob, TPM2B_PUBLIC* out) {
  size_t offset = 0;
  if (api.Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob.data(), blob.size(), &offset, out) !=
          TSS2_RC_SUCCESS ||
      offset != blob.size() || blob.size() < 2) {
    return false;
  }
  const size_t prefix = (static_cast<size_t>(blob[0]) << 8) | blob[1];
  if (prefix != blob.size() - 2 || out->size != prefix) return false;
  // Marshal it again: the bytes the TPM will hash into the Name must be the ones we were given.
  uint8_t again[sizeof(TPM2B_PUBLIC)];
  size_t written = 0;
  if (api.Tss2_MU_TPM2B_PUBLIC_Marshal(out, again, sizeof(again), &written) != TSS2_RC_SUCCESS)
    return false;
  return written == blob.size() && std::memcmp(again, blob.data(), written) == 0;
}

bool UnmarshalPrivate(const Tss2Api& api, const Bytes& blob, TPM2B_PRIVATE* out) {
  size_t offset = 0;
  if (api.Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob.data(), blob.size(), &offset, out) !=
          TSS2_RC_SUCCESS ||
      offset != blob.size() || blob.size() < 2) {
    return false;
  }
  const size_t prefix = (static_cast<size_t>(blob[0]) << 8) | blob[1];
  return prefix == blob.size() - 2 && out->size == prefix;
}

std::string HexBytes(const Bytes& b) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%X", v);
  return buf;
}

// A failed tss2 call: the raw TSS2_RC and its text, for src/backends/tss2-status.ts to name.
OpStatus RcFailure(const Tss2Api& api, const char* call, TSS2_RC rc) {
  OpStatus s;
  s.ok = false;
  s.error.call = call;
  s.error.domain = "tss2";
  s.error.status = rc;
  const char* decoded = api.Tss2_RC_Decode(rc);
  s.error.statusText = decoded ? decoded : "unknown";
  return s;
}

// A failure no TSS2_RC describes (see NativeError::reason).
OpStatus Ours(const char* reason, std::string detail) {
  OpStatus s;
  s.ok = false;
  s.error.reason = reason;
  s.error.detail = std::move(detail);
  return s;
}

// Owns what an Esys call returns through a T** out-parameter: Esys_Free on every path, after
// wiping it when it holds a secret.
template <typename T>
class EsysOut {
 public:
  enum Secret { kPublic, kSecret };
  explicit EsysOut(const Tss2Api& api, Secret secret = kPublic) : api_(api), secret_(secret) {}
  ~EsysOut() {
    if (!p_) return;
    if (secret_ == kSecret) Wipe(p_, sizeof(T));
    api_.Esys_Free(p_);
  }
  EsysOut(const EsysOut&) = delete;
  EsysOut& operator=(const EsysOut&) = delete;

  T** out() { return &p_; }
  T* get() const { return p_; }
  T* operator->() const { return p_; }

 private:
  const Tss2Api& api_;
  const Secret secret_;
  T* p_ = nullptr;
};

// Process-wide: one device per TCTI string (see the header for why), counted by its users (the
// connections holding it). When the last one lets go, the device is torn down on its own worker
// thread, after every operation queued before, and a device opened for the same TCTI meanwhile
// shares that queue, so it connects only once the old connection has flushed and closed.
struct Slot {
  TpmDevice* device = nullptr;
  int users = 0;
  std::weak_ptr<SerialQueue> queue;
};

std::mutex& RegistryMutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, Slot>& Registry() {
  static auto* r = new std::map<std::string, Slot>();
  return *r;
}
// Devices whose teardown is queued but not yet done (guarded by RegistryMutex).
int& Retiring() {
  static int n = 0;
  return n;
}
std::condition_variable& Retired() {
  static auto* cv = new std::condition_variable();
  return *cv;
}

// At process exit, give queued teardowns a moment to flush our objects out of a TPM that has no
// resource manager; a TPM that does not answer does not hold the exit up for long.
constexpr auto kExitFlushWait = std::chrono::seconds(2);
void WaitForRetiredAtExit() {
  std::unique_lock<std::mutex> lock(RegistryMutex());
  // system_clock, not wait_for's steady_clock: that one needs glibc 2.30's pthread_cond_clockwait.
  Retired().wait_until(lock, std::chrono::system_clock::now() + kExitFlushWait,
                       [] { return Retiring() == 0; });
}

}  // namespace

std::shared_ptr<TpmDevice> TpmDevice::Acquire(const std::string& tcti,
                                              std::shared_ptr<const Tss2Api> api) {
  // A static's initializer, not std::call_once (which needs glibc 2.34's pthread_once symbol).
  // The mutex and the condition first: statics made after an atexit handler is registered are
  // destroyed before it runs.
  static const bool atExit = (RegistryMutex(), Retired(), std::atexit(WaitForRetiredAtExit) == 0);
  (void)atExit;
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Slot& slot = Registry()[tcti];
  if (!slot.device) {
    std::shared_ptr<SerialQueue> queue = slot.queue.lock();  // a device still being torn down
    if (!queue) queue = std::make_shared<SerialQueue>();
    slot.device = new TpmDevice(tcti, std::move(api), queue);
    slot.queue = queue;
  }
  slot.users++;
  // One owner per connection; the last to let go queues the teardown (never on the JS thread).
  return std::shared_ptr<TpmDevice>(slot.device, &TpmDevice::Release);
}

void TpmDevice::Release(TpmDevice* device) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Slot& slot = Registry()[device->tcti_];
  if (--slot.users > 0) return;
  slot.device = nullptr;
  Retiring()++;
  device->queue_->Post([device] {
    delete device;  // flushes and disconnects, here on the worker thread
    std::lock_guard<std::mutex> lock(RegistryMutex());
    Retiring()--;
    Retired().notify_all();
  });
}

TpmDevice::TpmDevice(std::string tcti, std::shared_ptr<const Tss2Api> api,
                     std::shared_ptr<SerialQueue> queue)
    : tcti_(std::move(tcti)), api_(std::move(api)), queue_(std::move(queue)) {}

TpmDevice::~TpmDevice() {
  // Queued by Release after every operation of every connection: nothing else can touch the
  // context any more. Releasing queue_ here, on its own thread, never blocks (serial_queue.h).
  assert(queue_->OnWorkerThread());
  Disconnect(true);
}

void TpmDevice::SetOwnerAuth(const Bytes& auth) {
  Wipe(&ownerAuth_.bytes);
  ownerAuth_.bytes = auth;
  ApplyOwnerAuth();
}

void TpmDevice::ApplyOwnerAuth() {
  if (!esys_ || ownerAuth_.bytes.empty()) return;
  TPM2B_AUTH a = {};
  a.size = static_cast<UINT16>(ownerAuth_.bytes.size());
  std::memcpy(a.buffer, ownerAuth_.bytes.data(), ownerAuth_.bytes.size());
  api_->Esys_TR_SetAuth(esys_, ESYS_TR_RH_OWNER, &a);
  Wipe(&a, sizeof(a));
}

OpStatus TpmDevice::Check(TSS2_RC rc, const char* call) {
  if (rc == TSS2_RC_SUCCESS) return {};
  OpStatus s = RcFailure(*api_, call, rc);
  // What to do about it is decided here; what to call it is the TS table's job.
  if (IsTransportFailure(rc) || IsStaleHandle(TpmCode(rc))) {
    // The connection is gone (the TPM restarted, swtpm was killed), or the TPM lost the objects
    // we hold handles to. Drop the context without flushing (the handle numbers may now be
    // another client's objects), so the next operation reconnects instead of failing forever.
    Disconnect(false);
    s.retry = true;
  }
  return s;
}

OpStatus TpmDevice::Connect() {
  if (esys_) return {};
  if (!crypto_) {
    const LibcryptoLoad& lc = LoadLibcrypto();
    if (!lc.ok) return Ours("tss2-missing", lc.error);
    crypto_.reset(new SessionCrypto(*lc.api));
    session_.reset(new HmacSession(*crypto_));
  }
  TSS2_RC rc = api_->Tss2_TctiLdr_Initialize(tcti_.c_str(), &tctiContext_);
  if (rc != TSS2_RC_SUCCESS) {
    tctiContext_ = nullptr;
    return RcFailure(*api_, "Tss2_TctiLdr_Initialize", rc);
  }
  rc = api_->Esys_Initialize(&esys_, tctiContext_, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    esys_ = nullptr;
    api_->Tss2_TctiLdr_Finalize(&tctiContext_);
    return RcFailure(*api_, "Esys_Initialize", rc);
  }
  ApplyOwnerAuth();
  return {};
}

void TpmDevice::FlushQuietly(ESYS_TR handle) {
  if (esys_ && handle != ESYS_TR_NONE) api_->Esys_FlushContext(esys_, handle);
}

void TpmDevice::Disconnect(bool flush) {
  if (!esys_) return;
  // Without a resource manager, objects stay loaded after we disconnect: flush what we loaded
  // when the connection still works. After a transport failure there is nothing to flush.
  if (flush) {
    for (auto& entry : loaded_) FlushRaw(entry.second.tpmHandle);
    FlushQuietly(srk_);
    if (session_ && session_->started()) FlushRaw(session_->handle());
  }
  if (session_) session_->Forget();
  srkName_.clear();
  srkX_.clear();
  srkY_.clear();
  if (persistentSrk_ != ESYS_TR_NONE) api_->Esys_TR_Close(esys_, &persistentSrk_);
  loaded_.clear();
  lru_.clear();
  srk_ = ESYS_TR_NONE;
  persistentSrk_ = ESYS_TR_NONE;
  api_->Esys_Finalize(&esys_);
  api_->Tss2_TctiLdr_Finalize(&tctiContext_);
  esys_ = nullptr;
  tctiContext_ = nullptr;
}

bool TpmDevice::EvictLeastRecentlyUsed() {
  if (lru_.empty()) return false;
  const std::string victim = lru_.back();
  lru_.pop_back();
  auto it = loaded_.find(victim);
  if (it != loaded_.end()) {
    FlushRaw(it->second.tpmHandle);
    loaded_.erase(it);
  }
  return true;
}

template <typename Call>
TSS2_RC TpmDevice::WithFreeSlot(Call call) {
  TSS2_RC rc;
  do {
    rc = call();
  } while (TpmCode(rc) == TPM2_RC_OBJECT_MEMORY && EvictLeastRecentlyUsed());
  return rc;
}

OpStatus TpmDevice::ParentHandle(uint32_t parent, ESYS_TR* out) {
  if (parent == TPM2_RH_OWNER) {
    if (srk_ == ESYS_TR_NONE) {
      TPM2B_SENSITIVE_CREATE sensitive = {};
      TPM2B_PUBLIC templ = H2SrkTemplate();
      TPM2B_DATA outside = {};
      TPML_PCR_SELECTION pcrs = {};
      ESYS_TR handle = ESYS_TR_NONE;
      EsysOut<TPM2B_PUBLIC> outPublic(*api_);
      // An owner password never crosses the bus: it keys an HMAC session instead. That session
      // cannot be salted (the key it would be salted to is the one being made), so a capture
      // still allows offline guesses of a weak owner password, but never reveals it.
      ESYS_TR auth = ESYS_TR_PASSWORD;
      if (!ownerAuth_.bytes.empty()) {
        TPMT_SYM_DEF none = {};
        none.algorithm = TPM2_ALG_NULL;
        TSS2_RC rc = api_->Esys_StartAuthSession(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                                 ESYS_TR_NONE, ESYS_TR_NONE, nullptr,
                                                 TPM2_SE_HMAC, &none, TPM2_ALG_SHA256, &auth);
        OpStatus s = Check(rc, "Esys_StartAuthSession (owner)");
        if (!s.ok) return s;
        rc = api_->Esys_TRSess_SetAttributes(esys_, auth, TPMA_SESSION_CONTINUESESSION, 0xFF);
        s = Check(rc, "Esys_TRSess_SetAttributes");
        if (!s.ok) {
          FlushQuietly(auth);
          return s;
        }
      }
      TSS2_RC rc = WithFreeSlot([&] {
        return api_->Esys_CreatePrimary(esys_, ESYS_TR_RH_OWNER, auth, ESYS_TR_NONE,
                                        ESYS_TR_NONE, &sensitive, &templ, &outside, &pcrs,
                                        &handle, outPublic.out(), nullptr, nullptr, nullptr);
      });
      if (auth != ESYS_TR_PASSWORD && esys_) FlushQuietly(auth);
      OpStatus s = Check(rc, "Esys_CreatePrimary (SRK)");
      if (!s.ok) return s;
      // ESAPI computed the Name from this public area (and checked it against the TPM's): the
      // point a session's salt is encrypted to is the one whose Name the pin compares.
      EsysOut<TPM2B_NAME> name(*api_);
      s = Check(api_->Esys_TR_GetName(esys_, handle, name.out()), "Esys_TR_GetName (SRK)");
      const TPMS_ECC_POINT& q = outPublic->publicArea.unique.ecc;
      const bool p256 =
          outPublic->publicArea.type == TPM2_ALG_ECC && q.x.size == 32 && q.y.size == 32;
      if (s.ok && !p256) {
        s = Ours("unexpected-response", "the owner SRK is not a P-256 key");
      }
      if (!s.ok) {
        FlushQuietly(handle);
        return s;
      }
      srk_ = handle;
      srkName_.assign(name->name, name->name + name->size);
      srkX_.assign(q.x.buffer, q.x.buffer + 32);
      srkY_.assign(q.y.buffer, q.y.buffer + 32);
    }
    *out = srk_;
    return {};
  }
  if ((parent & 0xFF000000) == 0x81000000) {
    if (persistentSrk_ != ESYS_TR_NONE && persistentHandle_ != parent) {
      // Another persistent handle than the one we hold: never reuse one for the other.
      api_->Esys_TR_Close(esys_, &persistentSrk_);
      persistentSrk_ = ESYS_TR_NONE;
    }
    if (persistentSrk_ == ESYS_TR_NONE) {
      // Reading a persistent object's public area needs a free object slot, like a load.
      TSS2_RC rc = WithFreeSlot([&] {
        return api_->Esys_TR_FromTPMPublic(esys_, parent, ESYS_TR_NONE, ESYS_TR_NONE,
                                           ESYS_TR_NONE, &persistentSrk_);
      });
      OpStatus s = Check(rc, "Esys_TR_FromTPMPublic (persistent parent)");
      if (!s.ok) return s;
      s = CheckPersistentParent(persistentSrk_);
      if (!s.ok) {
        api_->Esys_TR_Close(esys_, &persistentSrk_);
        persistentSrk_ = ESYS_TR_NONE;
        return s;
      }
      persistentHandle_ = parent;
    }
    *out = persistentSrk_;
    return {};
  }
  return Ours("unsupported-parent", "unsupported parent handle " + Hex(parent));
}

OpStatus TpmDevice::CheckPersistentParent(ESYS_TR persistent) {
  // The owner SRK's Name: CreatePrimary with the H-2 template gives the same key every time,
  // so a persistent H-2 SRK has exactly this Name and anything else (an RSA SRK, another
  // template, a key made with Create) does not.
  ESYS_TR srk = ESYS_TR_NONE;
  OpStatus s = ParentHandle(TPM2_RH_OWNER, &srk);
  if (!s.ok) return s;
  EsysOut<TPM2B_NAME> want(*api_);
  EsysOut<TPM2B_NAME> got(*api_);
  s = Check(api_->Esys_TR_GetName(esys_, srk, want.out()), "Esys_TR_GetName (SRK)");
  if (!s.ok) return s;
  s = Check(api_->Esys_TR_GetName(esys_, persistent, got.out()), "Esys_TR_GetName (persistent)");
  if (!s.ok) return s;
  if (want->size != got->size || std::memcmp(want->name, got->name, want->size) != 0) {
    return Ours("unsupported-parent",
                "the persistent parent is not the H-2 ECC P-256 SRK of the owner hierarchy");
  }
  return {};
}

OpStatus TpmDevice::Load(const KeyBlobs& key, Kind kind, Loaded* out) {
  std::string id(reinterpret_cast<const char*>(&key.parent), sizeof(key.parent));
  id.append(key.publicBlob.begin(), key.publicBlob.end());
  id.append(key.privateBlob.begin(), key.privateBlob.end());
  auto hit = loaded_.find(id);
  // These very bytes passed the checks below as this kind when they were loaded: skip them
  // (unmarshalling both blobs on every signature cost about 4 us of its path). Asked for as
  // another kind, they are checked again, so they fail the same way a fresh load would.
  if (hit != loaded_.end() && hit->second.kind == kind) {
    lru_.splice(lru_.begin(), lru_, hit->second.lru);
    *out = hit->second;
    return {};
  }
  TPM2B_PUBLIC pub = {};
  TPM2B_PRIVATE priv = {};
  if (!UnmarshalPublic(*api_, key.publicBlob, &pub)) {
    return Ours("corrupt", "the key's TPM2B_PUBLIC does not parse, or its size prefix is wrong");
  }
  if (!UnmarshalPrivate(*api_, key.privateBlob, &priv)) {
    return Ours("corrupt", "the key's TPM2B_PRIVATE does not parse, or its size prefix is wrong");
  }
  const TPMT_PUBLIC& area = pub.publicArea;
  if (kind == Kind::kEccP256Key) {
    if (area.type != TPM2_ALG_ECC) {
      return Ours("bad-argument", "the key is not an ECC key (type " + Hex(area.type) + ")");
    }
    if (area.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256) {
      return Ours("bad-argument", "the key's curve " + Hex(area.parameters.eccDetail.curveID) +
                                      " is not NIST P-256 (0x3)");
    }
  } else if (kind == Kind::kAttestationKey) {
    if (!IsAttestationKey(area)) return Ours("bad-argument", "the key is not an attestation key");
  } else if (area.type != TPM2_ALG_KEYEDHASH) {
    return Ours("bad-argument", "the object is not sealed data (type " + Hex(area.type) + ")");
  }
  if (hit != loaded_.end()) {
    lru_.splice(lru_.begin(), lru_, hit->second.lru);
    *out = hit->second;
    return {};
  }
  ESYS_TR parent = ESYS_TR_NONE;
  OpStatus s = ParentHandle(key.parent, &parent);
  if (!s.ok) return s;
  if (loaded_.size() >= kMaxLoadedKeys) EvictLeastRecentlyUsed();
  // Through the session, like the commands that use the key: the wrapped private area (the
  // first parameter) crosses the bus encrypted, and the response's Name is checked against the
  // one computed here from the public area, so the handle names the object we sent.
  Loaded entry;
  entry.kind = kind;
  entry.name = {0x00, 0x0B};
  entry.name.resize(34);
  crypto_->Sha256(key.publicBlob.data() + 2, key.publicBlob.size() - 2, entry.name.data() + 2);
  uint32_t parentTpm = 0;
  s = Check(api_->Esys_TR_GetTpmHandle(esys_, parent, &parentTpm), "Esys_TR_GetTpmHandle");
  if (!s.ok) return s;
  EsysOut<TPM2B_NAME> parentName(*api_);
  s = Check(api_->Esys_TR_GetName(esys_, parent, parentName.out()), "Esys_TR_GetName (parent)");
  if (!s.ok) return s;
  HmacSession::Command c;
  c.code = TPM2_CC_Load;
  c.handle = parentTpm;
  c.name.assign(parentName->name, parentName->name + parentName->size);
  c.encryptIn = true;
  c.params = key.privateBlob;  // TPM2B_PRIVATE, then TPM2B_PUBLIC, each with its size
  c.params.insert(c.params.end(), key.publicBlob.begin(), key.publicBlob.end());
  Bytes name;
  do {
    s = RunInSession(c, "TPM2_Load", &name, &entry.tpmHandle);
  } while (!s.ok && s.error.domain == "tss2" &&
           TpmCode(static_cast<TSS2_RC>(s.error.status)) == TPM2_RC_OBJECT_MEMORY &&
           EvictLeastRecentlyUsed());
  if (!s.ok) return s;
  Reader r(name.data(), name.size());
  const Bytes returned = r.Tpm2b(sizeof(TPMU_NAME));
  if (!r.ok() || r.left() != 0 || returned != entry.name) {
    FlushRaw(entry.tpmHandle);
    return Ours("unexpected-response", "TPM2_Load returned another object's Name");
  }
  lru_.push_front(id);
  entry.lru = lru_.begin();
  loaded_[id] = entry;
  *out = entry;
  return {};
}

OpStatus TpmDevice::ConnectAndLoad(const KeyBlobs& key, Kind kind, Loaded* out) {
  OpStatus s = Connect();
  if (s.ok) s = RequirePinnedSrk();
  if (!s.ok) return s;
  return Load(key, kind, out);
}

OpStatus TpmDevice::RunOnKey(const KeyBlobs& key, Kind kind, HmacSession::Command* command,
                             const char* call, Bytes* params) {
  Loaded loaded;
  OpStatus s = ConnectAndLoad(key, kind, &loaded);
  if (!s.ok) return s;
  command->handle = loaded.tpmHandle;
  command->name = loaded.name;
  return RunInSession(*command, call, params);
}

OpStatus TpmDevice::RequirePinnedSrk() {
  ESYS_TR srk = ESYS_TR_NONE;
  OpStatus s = ParentHandle(TPM2_RH_OWNER, &srk);
  if (!s.ok) return s;
  if (expectedSrk_.empty()) {
    return Ours("srk-unpinned", "no storage key Name is pinned for this connection");
  }
  if (expectedSrk_ != srkName_) {
    return Ours("srk-mismatch", "the TPM's owner storage key has Name " + HexBytes(srkName_) +
                                    ", but this store was made with " + HexBytes(expectedSrk_));
  }
  return {};
}

void TpmDevice::FlushRaw(uint32_t tpmHandle) {
  if (!tctiContext_ || tpmHandle == 0) return;
  Bytes cmd;
  AppendU16(&cmd, TPM2_ST_NO_SESSIONS);
  AppendU32(&cmd, 14);
  AppendU32(&cmd, TPM2_CC_FlushContext);
  AppendU32(&cmd, tpmHandle);
  if (Tss2_Tcti_Transmit(tctiContext_, cmd.size(), cmd.data()) != TSS2_RC_SUCCESS) return;
  uint8_t rsp[64];
  size_t size = sizeof(rsp);
  Tss2_Tcti_Receive(tctiContext_, &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK);
}

OpStatus TpmDevice::RunInSession(const HmacSession::Command& command, const char* call,
                                 Bytes* params, uint32_t* responseHandle) {
  OpStatus s = RequirePinnedSrk();
  if (!s.ok) return s;
  if (!session_->started()) {
    uint32_t srkHandle = 0;
    s = Check(api_->Esys_TR_GetTpmHandle(esys_, srk_, &srkHandle), "Esys_TR_GetTpmHandle (SRK)");
    if (!s.ok) return s;
    s = Check(session_->Start(tctiContext_, srkHandle, srkX_, srkY_),
              "TPM2_StartAuthSession (salted)");
    if (!s.ok) return s;
  }
  const uint32_t sessionHandle = session_->handle();
  std::string why;
  TSS2_RC rc = session_->Execute(tctiContext_, command, params, &why, responseHandle);
  if (rc == TSS2_RC_SUCCESS) return {};
  // The session was forgotten; free its slot unless the connection itself is gone.
  if (!IsTransportFailure(rc)) FlushRaw(sessionHandle);
  s = Check(rc, call);
  if (!why.empty()) s.error.detail = why;
  return s;
}

OpStatus TpmDevice::StartEncryptedSession(TPMA_SESSION attributes, ESYS_TR* session) {
  ESYS_TR salt = ESYS_TR_NONE;
  OpStatus s = ParentHandle(TPM2_RH_OWNER, &salt);
  if (!s.ok) return s;
  TPMT_SYM_DEF symmetric = {};
  symmetric.algorithm = TPM2_ALG_AES;
  symmetric.keyBits.aes = 128;
  symmetric.mode.aes = TPM2_ALG_CFB;
  TSS2_RC rc = WithFreeSlot([&] {
    return api_->Esys_StartAuthSession(esys_, salt, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                       ESYS_TR_NONE, nullptr, TPM2_SE_HMAC, &symmetric,
                                       TPM2_ALG_SHA256, session);
  });
  s = Check(rc, "Esys_StartAuthSession (salted)");
  if (!s.ok) return s;
  rc = api_->Esys_TRSess_SetAttributes(esys_, *session,
                                       TPMA_SESSION_CONTINUESESSION | attributes, 0xFF);
  s = Check(rc, "Esys_TRSess_SetAttributes");
  if (!s.ok) FlushQuietly(*session);
  return s;
}

OpStatus TpmDevice::WithReconnect(const std::function<OpStatus()>& op) {
  const bool wasConnected = esys_ != nullptr;
  OpStatus s = op();
  if (!s.ok && s.retry && wasConnected) s = op();
  return s;
}

OpStatus TpmDevice::Properties(std::map<uint32_t, uint32_t>* out) {
  return WithReconnect([&]() -> OpStatus {
    out->clear();
    OpStatus s = Connect();
    if (!s.ok) return s;
    for (uint32_t group : {TPM2_PT_FIXED, TPM2_PT_VAR}) {
      TPMI_YES_NO more = TPM2_NO;
      EsysOut<TPMS_CAPABILITY_DATA> data(*api_);
      s = Check(api_->Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                         TPM2_CAP_TPM_PROPERTIES, group, TPM2_MAX_TPM_PROPERTIES,
                                         &more, data.out()),
                "Esys_GetCapability");
      if (!s.ok) return s;
      const TPML_TAGGED_TPM_PROPERTY& props = data->data.tpmProperties;
      for (UINT32 i = 0; i < props.count; i++) {
        (*out)[props.tpmProperty[i].property] = props.tpmProperty[i].value;
      }
    }
    return {};
  });
}

OpStatus TpmDevice::CreateKey(uint32_t parent, const Bytes& templ, const Bytes& sensitiveData,
                              const Bytes& userAuth, KeyBlobs* out) {
  return WithReconnect([&]() -> OpStatus {
    OpStatus s = Connect();
    if (s.ok) s = RequirePinnedSrk();
    if (!s.ok) return s;
    TPM2B_PUBLIC inPublic = {};
    if (!UnmarshalPublic(*api_, templ, &inPublic)) {
      return Ours("bad-argument", "the key template does not parse as TPM2B_PUBLIC");
    }
    const TPMT_PUBLIC& area = inPublic.publicArea;
    if (area.type == TPM2_ALG_ECC && area.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256) {
      return Ours("bad-argument", "keys are NIST P-256 only");
    }
    if (area.type != TPM2_ALG_ECC && area.type != TPM2_ALG_KEYEDHASH && !IsAttestationKey(area)) {
      return Ours("bad-argument", "only P-256 keys and sealed data objects are created");
    }
    if (sensitiveData.size() > sizeof(TPM2B_SENSITIVE_DATA::buffer)) {
      return Ours("bad-argument", "the data to seal is too large for the TPM");
    }
    // An authValue no longer than the nameAlg's digest (Part 1 §19.6.4.3).
    if (userAuth.size() > 32) return Ours("bad-argument", "the authorization value is too long");
    if (!userAuth.empty() && (area.objectAttributes & TPMA_OBJECT_NODA)) {
      return Ours("bad-argument", "a key with an authorization value must not be noDA");
    }
    ESYS_TR parentHandle = ESYS_TR_NONE;
    s = ParentHandle(parent, &parentHandle);
    if (!s.ok) return s;
    TPM2B_SENSITIVE_CREATE sensitive = {};
    sensitive.sensitive.data.size = static_cast<UINT16>(sensitiveData.size());
    // An empty vector's data() may be null, and memcpy from null is undefined even for 0 bytes.
    if (!sensitiveData.empty()) {
      std::memcpy(sensitive.sensitive.data.buffer, sensitiveData.data(), sensitiveData.size());
    }
    sensitive.sensitive.userAuth.size = static_cast<UINT16>(userAuth.size());
    if (!userAuth.empty()) {
      std::memcpy(sensitive.sensitive.userAuth.buffer, userAuth.data(), userAuth.size());
    }
    // The sensitive area (sealed data, a PIN) is the first parameter, the wrapped private area
    // the first of the response: both cross the bus encrypted.
    ESYS_TR session = ESYS_TR_NONE;
    s = StartEncryptedSession(TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT, &session);
    if (!s.ok) {
      Wipe(&sensitive, sizeof(sensitive));
      return s;
    }
    TPM2B_DATA outside = {};
    TPML_PCR_SELECTION pcrs = {};
    EsysOut<TPM2B_PRIVATE> outPrivate(*api_);
    EsysOut<TPM2B_PUBLIC> outPublic(*api_);
    // TPM2_Create needs a free object slot while it works, like a load does.
    TSS2_RC rc = WithFreeSlot([&] {
      return api_->Esys_Create(esys_, parentHandle, session, ESYS_TR_NONE, ESYS_TR_NONE,
                               &sensitive, &inPublic, &outside, &pcrs, outPrivate.out(),
                               outPublic.out(), nullptr, nullptr, nullptr);
    });
    Wipe(&sensitive, sizeof(sensitive));
    FlushQuietly(session);
    s = Check(rc, "Esys_Create");
    if (!s.ok) return s;
    uint8_t buf[sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE)];
    size_t offset = 0;
    rc = api_->Tss2_MU_TPM2B_PUBLIC_Marshal(outPublic.get(), buf, sizeof(buf), &offset);
    if (rc != TSS2_RC_SUCCESS) return RcFailure(*api_, "Tss2_MU_TPM2B_PUBLIC_Marshal", rc);
    out->publicBlob.assign(buf, buf + offset);
    offset = 0;
    rc = api_->Tss2_MU_TPM2B_PRIVATE_Marshal(outPrivate.get(), buf, sizeof(buf), &offset);
    if (rc != TSS2_RC_SUCCESS) return RcFailure(*api_, "Tss2_MU_TPM2B_PRIVATE_Marshal", rc);
    out->privateBlob.assign(buf, buf + offset);
    out->parent = parent;
    return {};
  });
}

OpStatus TpmDevice::SrkName(Bytes* out) {
  return WithReconnect([&]() -> OpStatus {
    OpStatus s = Connect();
    ESYS_TR srk = ESYS_TR_NONE;
    if (s.ok) s = ParentHandle(TPM2_RH_OWNER, &srk);
    if (!s.ok) return s;
    *out = srkName_;
    return {};
  });
}

OpStatus TpmDevice::Sign(const KeyBlobs& key, const uint8_t digest[32], const Bytes& auth,
                         Bytes* rs) {
  return WithReconnect([&]() -> OpStatus {
    // digest (TPM2B, encrypted on the wire), ECDSA/SHA-256, a NULL hashcheck ticket.
    HmacSession::Command c;
    c.code = TPM2_CC_Sign;
    c.authValue = &auth;
    c.encryptIn = true;
    AppendTpm2b(&c.params, digest, 32);
    AppendU16(&c.params, TPM2_ALG_ECDSA);
    AppendU16(&c.params, TPM2_ALG_SHA256);
    AppendU16(&c.params, TPM2_ST_HASHCHECK);
    AppendU32(&c.params, TPM2_RH_NULL);
    AppendU16(&c.params, 0);
    Bytes out;
    OpStatus s = RunOnKey(key, Kind::kEccP256Key, &c, "TPM2_Sign", &out);
    if (!s.ok) return s;
    Reader r(out.data(), out.size());
    const uint16_t alg = r.U16();
    const uint16_t hash = r.U16();
    Bytes sigR = r.Tpm2b(32);
    Bytes sigS = r.Tpm2b(32);
    if (!r.ok() || r.left() != 0 || alg != TPM2_ALG_ECDSA || hash != TPM2_ALG_SHA256) {
      return Ours("unexpected-response", "TPM2_Sign returned an unexpected signature");
    }
    rs->assign(64, 0);
    std::copy(sigR.begin(), sigR.end(), rs->begin() + static_cast<long>(32 - sigR.size()));
    std::copy(sigS.begin(), sigS.end(), rs->begin() + static_cast<long>(64 - sigS.size()));
    return {};
  });
}

OpStatus TpmDevice::Ecdh(const KeyBlobs& key, const Bytes& x, const Bytes& y, const Bytes& auth,
                         Bytes* z) {
  return WithReconnect([&]() -> OpStatus {
    if (x.size() != 32 || y.size() != 32) {
      return Ours("bad-argument", "the peer point must have 32-byte coordinates");
    }
    HmacSession::Command c;
    c.code = TPM2_CC_ECDH_ZGen;
    c.authValue = &auth;
    c.encryptIn = true;
    c.encryptOut = true;  // the shared secret is the response
    AppendU16(&c.params, 2 + 32 + 2 + 32);
    AppendTpm2b(&c.params, x.data(), 32);
    AppendTpm2b(&c.params, y.data(), 32);
    SecretBytes out;
    OpStatus s = RunOnKey(key, Kind::kEccP256Key, &c, "TPM2_ECDH_ZGen", &out.bytes);
    if (!s.ok) return s;
    Reader r(out.bytes.data(), out.bytes.size());
    r.U16();
    SecretBytes zx(r.Tpm2b(32));
    SecretBytes zy(r.Tpm2b(32));
    if (!r.ok() || r.left() != 0) {
      return Ours("unexpected-response", "TPM2_ECDH_ZGen returned an unexpected ECDH result");
    }
    z->assign(32, 0);
    const long pad = static_cast<long>(32 - zx.bytes.size());
    std::copy(zx.bytes.begin(), zx.bytes.end(), z->begin() + pad);
    return {};
  });
}

OpStatus TpmDevice::Unseal(const KeyBlobs& key, Bytes* outData) {
  return WithReconnect([&]() -> OpStatus {
    HmacSession::Command c;
    c.code = TPM2_CC_Unseal;
    c.encryptOut = true;
    SecretBytes out;
    OpStatus s = RunOnKey(key, Kind::kSealedData, &c, "TPM2_Unseal", &out.bytes);
    if (!s.ok) return s;
    Reader r(out.bytes.data(), out.bytes.size());
    SecretBytes data(r.Tpm2b(sizeof(TPM2B_SENSITIVE_DATA::buffer)));
    if (!r.ok() || r.left() != 0) {
      return Ours("unexpected-response", "TPM2_Unseal returned an unexpected response");
    }
    *outData = data.bytes;
    return {};
  });
}

}  // namespace dk
