// Attestation on the TPM: the endorsement as the TPM stores it (EK-range persistent objects and
// EK-range NV indices), an EK made from a template, TPM2_Certify of a key by the store's
// attestation key (AK), and TPM2_ActivateCredential. What the bytes mean (which index is which
// certificate, whether a template is the TCG default) is decided in TypeScript
// (src/tiers/tpm2/), like everything else that is not a TPM call.
#include <algorithm>
#include <cstring>
#include <memory>

#include "tpm_device.h"

namespace dk {
namespace {

// TCG EK Credential Profile and Provisioning Guidance: where EKs and their certificates live.
constexpr uint32_t kEkPersistentFirst = 0x81010000;
constexpr uint32_t kEkPersistentLast = 0x810100FF;
constexpr uint32_t kEkNvFirst = 0x01C00000;  // certificates, templates and nonces
constexpr uint32_t kEkNvLast = 0x01C001FF;   // ... and the EK certificate chain (0x01C00100+)
// Bounds on what a strange TPM can make us read.
constexpr size_t kMaxEntries = 64;
constexpr uint16_t kMaxNvBytes = 8192;
constexpr uint16_t kNvChunk = 512;  // no larger than any TPM's TPM2_PT_NV_BUFFER_MAX
constexpr size_t kMaxNonce = 64;    // TPM2B_DATA of a SHA-512 TPM

template <typename T>
struct EsysFree {
  const Tss2Api* api;
  void operator()(T* p) const {
    if (p) api->Esys_Free(p);
  }
};
template <typename T>
using Owned = std::unique_ptr<T, EsysFree<T>>;

// TPM_RC_OBJECT_MEMORY: no free object slot (a TPM without a resource manager has three).
bool OutOfObjectMemory(TSS2_RC rc) {
  const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  return (layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER) &&
         (rc & 0xFFF) == TPM2_RC_OBJECT_MEMORY;
}

OpStatus Refused(const char* reason, std::string detail) {
  OpStatus s;
  s.ok = false;
  s.error.reason = reason;
  s.error.detail = std::move(detail);
  return s;
}

}  // namespace

bool IsAttestationKey(const TPMT_PUBLIC& area) {
  const TPMA_OBJECT required = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
                               TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                               TPMA_OBJECT_SENSITIVEDATAORIGIN;
  if ((area.objectAttributes & required) != required) return false;
  if (area.objectAttributes & TPMA_OBJECT_DECRYPT) return false;
  if (area.type == TPM2_ALG_ECC) return area.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256;
  return area.type == TPM2_ALG_RSA && area.parameters.rsaDetail.keyBits == 2048;
}

template <typename Call>
TSS2_RC TpmDevice::WithSlot(Call call) {
  TSS2_RC rc;
  do {
    rc = call();
  } while (OutOfObjectMemory(rc) && EvictLeastRecentlyUsed());
  return rc;
}

OpStatus TpmDevice::ListHandles(uint32_t first, uint32_t last, std::vector<uint32_t>* out) {
  uint32_t next = first;
  for (;;) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    TSS2_RC rc = api_->Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                          TPM2_CAP_HANDLES, next, TPM2_MAX_CAP_HANDLES, &more,
                                          &raw);
    Owned<TPMS_CAPABILITY_DATA> data(raw, {api_.get()});
    OpStatus s = Check(rc, "Esys_GetCapability (handles)");
    if (!s.ok) return s;
    const TPML_HANDLE& handles = data->data.handles;
    for (UINT32 i = 0; i < handles.count && i < TPM2_MAX_CAP_HANDLES; i++) {
      const uint32_t h = handles.handle[i];
      if (h > last || out->size() >= kMaxEntries) return {};
      if (h >= first) out->push_back(h);
      next = h + 1;
    }
    if (!more || handles.count == 0) return {};
  }
}

OpStatus TpmDevice::ReadNv(uint32_t index, Endorsement::Nv* out) {
  out->index = index;
  ESYS_TR nv = ESYS_TR_NONE;
  OpStatus s = Check(api_->Esys_TR_FromTPMPublic(esys_, index, ESYS_TR_NONE, ESYS_TR_NONE,
                                                 ESYS_TR_NONE, &nv),
                     "Esys_TR_FromTPMPublic (NV)");
  if (!s.ok) return s;
  TPM2B_NV_PUBLIC* rawPublic = nullptr;
  s = Check(api_->Esys_NV_ReadPublic(esys_, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     &rawPublic, nullptr),
            "Esys_NV_ReadPublic");
  Owned<TPM2B_NV_PUBLIC> pub(rawPublic, {api_.get()});
  if (s.ok) {
    out->attributes = pub->nvPublic.attributes;
    out->size = pub->nvPublic.dataSize;
    // EK certificates are readable with the index's empty authValue or the owner's; an index
    // readable only otherwise (platform, policy) is reported without its data.
    const ESYS_TR auth = (out->attributes & TPMA_NV_AUTHREAD)    ? nv
                         : (out->attributes & TPMA_NV_OWNERREAD) ? ESYS_TR_RH_OWNER
                                                                 : ESYS_TR_NONE;
    const bool readable =
        (out->attributes & TPMA_NV_WRITTEN) && auth != ESYS_TR_NONE && out->size <= kMaxNvBytes;
    for (uint16_t offset = 0; readable && s.ok && offset < out->size;) {
      const uint16_t n = static_cast<uint16_t>(std::min<int>(kNvChunk, out->size - offset));
      TPM2B_MAX_NV_BUFFER* rawChunk = nullptr;
      s = Check(api_->Esys_NV_Read(esys_, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                   n, offset, &rawChunk),
                "Esys_NV_Read");
      Owned<TPM2B_MAX_NV_BUFFER> chunk(rawChunk, {api_.get()});
      if (s.ok && chunk->size != n) {
        s = Refused("unexpected-response", "TPM2_NV_Read returned another length than asked");
      }
      if (s.ok) out->data.insert(out->data.end(), chunk->buffer, chunk->buffer + n);
      offset = static_cast<uint16_t>(offset + n);
    }
  }
  if (esys_) api_->Esys_TR_Close(esys_, &nv);  // a lost connection already dropped it
  if (!s.ok) out->data.clear();
  return s;
}

OpStatus TpmDevice::ReadPublicBlob(ESYS_TR object, Bytes* out, TPMI_ALG_HASH* nameAlg) {
  TPM2B_PUBLIC* raw = nullptr;
  OpStatus s = Check(api_->Esys_ReadPublic(esys_, object, ESYS_TR_NONE, ESYS_TR_NONE,
                                           ESYS_TR_NONE, &raw, nullptr, nullptr),
                     "Esys_ReadPublic (EK)");
  Owned<TPM2B_PUBLIC> pub(raw, {api_.get()});
  if (!s.ok) return s;
  uint8_t buf[sizeof(TPM2B_PUBLIC)];
  size_t written = 0;
  s = Check(api_->Tss2_MU_TPM2B_PUBLIC_Marshal(pub.get(), buf, sizeof(buf), &written),
            "Tss2_MU_TPM2B_PUBLIC_Marshal");
  if (s.ok) out->assign(buf, buf + written);
  if (s.ok && nameAlg) *nameAlg = pub->publicArea.nameAlg;
  return s;
}

OpStatus TpmDevice::ReadEndorsement(Endorsement* out) {
  return WithReconnect([&]() -> OpStatus {
    *out = Endorsement();
    OpStatus s = Connect();
    std::vector<uint32_t> handles;
    if (s.ok) s = ListHandles(kEkPersistentFirst, kEkPersistentLast, &handles);
    for (size_t i = 0; s.ok && i < handles.size(); i++) {
      ESYS_TR tr = ESYS_TR_NONE;
      s = Check(WithSlot([&] {
                  return api_->Esys_TR_FromTPMPublic(esys_, handles[i], ESYS_TR_NONE,
                                                     ESYS_TR_NONE, ESYS_TR_NONE, &tr);
                }),
                "Esys_TR_FromTPMPublic (EK)");
      if (!s.ok) break;
      Bytes blob;
      s = ReadPublicBlob(tr, &blob, nullptr);
      if (s.ok) out->persistent.emplace_back(handles[i], std::move(blob));
      if (esys_) api_->Esys_TR_Close(esys_, &tr);
    }
    handles.clear();
    if (s.ok) s = ListHandles(kEkNvFirst, kEkNvLast, &handles);
    for (size_t i = 0; s.ok && i < handles.size(); i++) {
      Endorsement::Nv nv;
      OpStatus read = ReadNv(handles[i], &nv);
      // One index we may not read (an owner password we lack) leaves the others readable.
      if (!read.ok && (read.retry || !esys_)) return read;
      out->nv.push_back(std::move(nv));
    }
    return s;
  });
}

OpStatus TpmDevice::EkHandle(uint32_t persistent, const Bytes& templ, ESYS_TR* out,
                             bool* transient) {
  *transient = false;
  if (persistent != 0) {
    if (persistent < kEkPersistentFirst || persistent > kEkPersistentLast) {
      return Refused("bad-argument", "an EK handle must be in 0x81010000-0x810100FF");
    }
    return Check(WithSlot([&] {
                   return api_->Esys_TR_FromTPMPublic(esys_, persistent, ESYS_TR_NONE,
                                                      ESYS_TR_NONE, ESYS_TR_NONE, out);
                 }),
                 "Esys_TR_FromTPMPublic (EK)");
  }
  TPM2B_PUBLIC inPublic = {};
  size_t offset = 0;
  if (api_->Tss2_MU_TPM2B_PUBLIC_Unmarshal(templ.data(), templ.size(), &offset, &inPublic) !=
          TSS2_RC_SUCCESS ||
      offset != templ.size()) {
    return Refused("bad-argument", "the EK template does not parse as TPM2B_PUBLIC");
  }
  TPM2B_SENSITIVE_CREATE sensitive = {};
  TPM2B_DATA outside = {};
  TPML_PCR_SELECTION pcrs = {};
  TSS2_RC rc = WithSlot([&] {
    return api_->Esys_CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
                                    ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &inPublic, &outside,
                                    &pcrs, out, nullptr, nullptr, nullptr, nullptr);
  });
  OpStatus s = Check(rc, "Esys_CreatePrimary (EK)");
  *transient = s.ok;
  return s;
}

OpStatus TpmDevice::CreateEk(const Bytes& templ, Bytes* publicBlob) {
  return WithReconnect([&]() -> OpStatus {
    OpStatus s = Connect();
    ESYS_TR ek = ESYS_TR_NONE;
    bool transient = false;
    if (s.ok) s = EkHandle(0, templ, &ek, &transient);
    if (!s.ok) return s;
    s = ReadPublicBlob(ek, publicBlob, nullptr);
    FlushQuietly(ek);
    return s;
  });
}

OpStatus TpmDevice::Certify(const KeyBlobs& key, const Bytes& keyAuth, const KeyBlobs& ak,
                            const Bytes& nonce, Bytes* attest, Bytes* signature) {
  return WithReconnect([&]() -> OpStatus {
    if (nonce.empty() || nonce.size() > kMaxNonce) {
      return Refused("bad-argument", "the nonce must be 1 to 64 bytes");
    }
    Loaded signer, subject;
    OpStatus s = ConnectAndLoad(ak, Kind::kAttestationKey, &signer);
    if (s.ok) s = Load(key, Kind::kEccP256Key, &subject);
    if (!s.ok) return s;
    // The key is authorized by the salted session (its PIN, if any, stays in the HMAC), the AK
    // by its empty password; both Names are in the session's cpHash. The nonce is the first
    // parameter, sent encrypted; the AK's own scheme signs (inScheme TPM_ALG_NULL).
    HmacSession::Command c;
    c.code = TPM2_CC_Certify;
    c.handle = subject.tpmHandle;
    c.name = subject.name;
    c.authValue = &keyAuth;
    c.handle2 = signer.tpmHandle;
    c.name2 = signer.name;
    c.encryptIn = true;
    AppendTpm2b(&c.params, nonce.data(), nonce.size());
    AppendU16(&c.params, TPM2_ALG_NULL);
    Bytes params;
    s = RunInSession(c, "TPM2_Certify", &params);
    if (!s.ok) return s;
    Reader r(params.data(), params.size());
    *attest = r.Tpm2b(sizeof(TPMS_ATTEST));
    if (!r.ok() || attest->empty() || r.left() == 0) {
      return Refused("unexpected-response", "TPM2_Certify returned no attestation");
    }
    signature->assign(params.end() - static_cast<long>(r.left()), params.end());
    return {};
  });
}

OpStatus TpmDevice::PolicySecretSession(TPMI_ALG_HASH hash, ESYS_TR* session) {
  TPMT_SYM_DEF none = {};
  none.algorithm = TPM2_ALG_NULL;
  OpStatus s = Check(api_->Esys_StartAuthSession(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                                 ESYS_TR_NONE, ESYS_TR_NONE, nullptr,
                                                 TPM2_SE_POLICY, &none, hash, session),
                     "Esys_StartAuthSession (policy)");
  if (!s.ok) return s;
  s = Check(api_->Esys_TRSess_SetAttributes(esys_, *session, TPMA_SESSION_CONTINUESESSION, 0xFF),
            "Esys_TRSess_SetAttributes");
  // The EK's policy: PolicySecret(TPM_RH_ENDORSEMENT), the endorsement hierarchy's (empty)
  // password; a TPM whose endorsement hierarchy has a password refuses here.
  if (s.ok) {
    s = Check(api_->Esys_PolicySecret(esys_, ESYS_TR_RH_ENDORSEMENT, *session, ESYS_TR_PASSWORD,
                                      ESYS_TR_NONE, ESYS_TR_NONE, nullptr, nullptr, nullptr, 0,
                                      nullptr, nullptr),
              "Esys_PolicySecret (endorsement)");
  }
  if (!s.ok) FlushQuietly(*session);
  return s;
}

OpStatus TpmDevice::ActivateCredential(const KeyBlobs& ak, uint32_t ekHandle,
                                       const Bytes& ekTemplate, const Bytes& credentialBlob,
                                       const Bytes& secret, Bytes* out) {
  return WithReconnect([&]() -> OpStatus {
    TPM2B_ID_OBJECT blob = {};
    TPM2B_ENCRYPTED_SECRET encrypted = {};
    if (credentialBlob.empty() || credentialBlob.size() > sizeof(blob.credential) ||
        secret.empty() || secret.size() > sizeof(encrypted.secret)) {
      return Refused("bad-argument", "the credential blob or encrypted secret is too large");
    }
    blob.size = static_cast<UINT16>(credentialBlob.size());
    std::memcpy(blob.credential, credentialBlob.data(), credentialBlob.size());
    encrypted.size = static_cast<UINT16>(secret.size());
    std::memcpy(encrypted.secret, secret.data(), secret.size());
    Loaded signer;
    OpStatus s = ConnectAndLoad(ak, Kind::kAttestationKey, &signer);
    if (!s.ok) return s;
    ESYS_TR akTr = ESYS_TR_NONE, ek = ESYS_TR_NONE, policy = ESYS_TR_NONE, hmac = ESYS_TR_NONE;
    bool transientEk = false;
    // ESAPI's handle on the AK we loaded; ESAPI reads its Name from the TPM, and it must be the
    // Name of the public area we sent (so the credential is released to this AK only).
    s = Check(api_->Esys_TR_FromTPMPublic(esys_, signer.tpmHandle, ESYS_TR_NONE, ESYS_TR_NONE,
                                          ESYS_TR_NONE, &akTr),
              "Esys_TR_FromTPMPublic (AK)");
    if (s.ok) {
      TPM2B_NAME* rawName = nullptr;
      s = Check(api_->Esys_TR_GetName(esys_, akTr, &rawName), "Esys_TR_GetName (AK)");
      Owned<TPM2B_NAME> name(rawName, {api_.get()});
      if (s.ok && Bytes(name->name, name->name + name->size) != signer.name) {
        s = Refused("unexpected-response", "the loaded AK has another Name than its public area");
      }
    }
    if (s.ok) s = EkHandle(ekHandle, ekTemplate, &ek, &transientEk);
    TPMI_ALG_HASH ekNameAlg = TPM2_ALG_SHA256;
    Bytes ekPublic;
    if (s.ok) s = ReadPublicBlob(ek, &ekPublic, &ekNameAlg);
    // The EK's policy session has the EK's nameAlg; the AK's session is salted to the SRK and
    // encrypts the response, the released secret.
    if (s.ok) s = PolicySecretSession(ekNameAlg, &policy);
    if (s.ok) s = StartEncryptedSession(TPMA_SESSION_ENCRYPT, &hmac);
    if (s.ok) {
      TPM2B_DIGEST* raw = nullptr;
      TSS2_RC rc = api_->Esys_ActivateCredential(esys_, akTr, ek, hmac, policy, ESYS_TR_NONE,
                                                 &blob, &encrypted, &raw);
      Owned<TPM2B_DIGEST> released(raw, {api_.get()});
      s = Check(rc, "Esys_ActivateCredential");
      if (s.ok) {
        out->assign(released->buffer, released->buffer + released->size);
        Wipe(released.get(), sizeof(TPM2B_DIGEST));
      }
    }
    if (esys_) {
      FlushQuietly(hmac);
      FlushQuietly(policy);
      if (transientEk) {
        FlushQuietly(ek);
      } else if (ek != ESYS_TR_NONE) {
        api_->Esys_TR_Close(esys_, &ek);
      }
      if (akTr != ESYS_TR_NONE) api_->Esys_TR_Close(esys_, &akTr);  // loaded_ keeps the AK
    }
    return s;
  });
}

}  // namespace dk
