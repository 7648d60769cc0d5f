// The tss2 functions we call, resolved at run time with dlopen so that the addon loads (and the
// other tiers work) on machines without libtss2. The headers are used for types only, and are
// vendored (vendor/tss2/, BSD-2-Clause), so every build has the TPM tier.
#pragma once

#include "vendor/tss2/tss2_esys.h"
#include "vendor/tss2/tss2_mu.h"
#include "vendor/tss2/tss2_rc.h"
#include "vendor/tss2/tss2_tctildr.h"

#include <memory>
#include <string>
#include <vector>

namespace dk {

// X-macro: library, symbol. One place to add a function.
#define DK_TSS2_FUNCTIONS(X)                    \
  X(esys, Esys_Initialize)                      \
  X(esys, Esys_Finalize)                        \
  X(esys, Esys_GetCapability)                   \
  X(esys, Esys_CreatePrimary)                   \
  X(esys, Esys_Create)                          \
  X(esys, Esys_Load)                            \
  X(esys, Esys_Sign)                            \
  X(esys, Esys_ECDH_ZGen)                       \
  X(esys, Esys_Unseal)                          \
  X(esys, Esys_FlushContext)                    \
  X(esys, Esys_StartAuthSession)                \
  X(esys, Esys_TRSess_SetAttributes)            \
  X(esys, Esys_TR_SetAuth)                      \
  X(esys, Esys_TR_FromTPMPublic)                \
  X(esys, Esys_TR_Close)                        \
  X(esys, Esys_TR_GetName)                      \
  X(esys, Esys_TR_GetTpmHandle)                 \
  X(esys, Esys_Free)                            \
  X(esys, Esys_ReadPublic)                      \
  X(esys, Esys_NV_ReadPublic)                   \
  X(esys, Esys_NV_Read)                         \
  X(esys, Esys_PolicySecret)                    \
  X(esys, Esys_ActivateCredential)              \
  X(tctildr, Tss2_TctiLdr_Initialize)           \
  X(tctildr, Tss2_TctiLdr_Finalize)             \
  X(rc, Tss2_RC_Decode)                         \
  X(mu, Tss2_MU_TPM2B_PUBLIC_Marshal)           \
  X(mu, Tss2_MU_TPM2B_PUBLIC_Unmarshal)         \
  X(mu, Tss2_MU_TPM2B_PRIVATE_Marshal)          \
  X(mu, Tss2_MU_TPM2B_PRIVATE_Unmarshal)

struct Tss2Api {
#define DK_DECLARE(lib, name) decltype(&::name) name = nullptr;
  DK_TSS2_FUNCTIONS(DK_DECLARE)
#undef DK_DECLARE
};

struct Tss2Library {
  std::string soname;
  std::string path;  // where the dynamic loader found it
};

// The result of loading: either every function, or the reason (with the package to install).
struct Tss2Load {
  bool ok = false;
  std::string error;
  std::vector<Tss2Library> libraries;
  bool deepBind = false;  // the libraries were opened with RTLD_DEEPBIND
  std::shared_ptr<const Tss2Api> api;
};

// The dlopen flags the tss2 libraries get (RTLD_DEEPBIND but in the sanitizer build), for
// other libraries of theirs we open (session_crypto.cc: libcrypto).
int Tss2DlopenFlags();

// Loads once per process (the libraries are process-wide); thread-safe.
// `libDir` overrides the search path (tests hide the libraries with it); empty = default.
const Tss2Load& LoadTss2(const std::string& libDir);

}  // namespace dk
