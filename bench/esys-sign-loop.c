/*
 * The physical limit of the TPM tier: Esys_Sign in a tight loop, from C, on one ESYS context,
 * with a P-256 key created under the H-2 SRK exactly as device-keystore creates its keys.
 * bench/tpm.mjs compiles it and runs it against the same swtpm as the addon.
 *
 *   cc -O2 bench/esys-sign-loop.c -ltss2-esys -ltss2-tctildr -o esys-sign-loop
 *   ./esys-sign-loop 'swtpm:host=127.0.0.1,port=2321' 2000 [password|session]
 *
 * `password` (the default): a plain password session, the limit. `session`: the settings
 * device-keystore uses, through ESAPI's own session code: an HMAC session salted to the SRK,
 * AES-128-CFB encryption of the digest, the response HMAC checked.
 *
 * Prints one JSON line: {"signs":N,"seconds":S,"perSecond":R,"msPerSign":M}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#define CHECK(call)                                                         \
  do {                                                                      \
    TSS2_RC rc_ = (call);                                                   \
    if (rc_ != TSS2_RC_SUCCESS) {                                           \
      fprintf(stderr, "%s failed: 0x%x\n", #call, (unsigned)rc_);           \
      exit(1);                                                              \
    }                                                                       \
  } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static TPM2B_PUBLIC ecc_template(TPMA_OBJECT attributes, int restricted_srk) {
  TPM2B_PUBLIC t;
  memset(&t, 0, sizeof(t));
  t.publicArea.type = TPM2_ALG_ECC;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = attributes;
  if (restricted_srk) {
    t.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
    t.publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  } else {
    t.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  }
  t.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  t.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  t.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return t;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s TCTI COUNT [password|session]\n", argv[0]);
    return 2;
  }
  const char *tcti_conf = argv[1];
  long count = strtol(argv[2], NULL, 10);
  int salted = argc > 3 && strcmp(argv[3], "session") == 0;

  TSS2_TCTI_CONTEXT *tcti = NULL;
  ESYS_CONTEXT *esys = NULL;
  CHECK(Tss2_TctiLdr_Initialize(tcti_conf, &tcti));
  CHECK(Esys_Initialize(&esys, tcti, NULL));

  TPM2B_SENSITIVE_CREATE sensitive = {0};
  TPM2B_DATA outside = {0};
  TPML_PCR_SELECTION pcrs = {0};
  TPM2B_PUBLIC srk_template = ecc_template(0x00030472, 1);
  ESYS_TR srk = ESYS_TR_NONE;
  CHECK(Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sensitive, &srk_template, &outside, &pcrs, &srk, NULL, NULL, NULL,
                           NULL));

  TPM2B_PUBLIC key_template = ecc_template(0x00060472, 0);
  TPM2B_PRIVATE *priv = NULL;
  TPM2B_PUBLIC *pub = NULL;
  CHECK(Esys_Create(esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                    &key_template, &outside, &pcrs, &priv, &pub, NULL, NULL, NULL));
  ESYS_TR key = ESYS_TR_NONE;
  CHECK(Esys_Load(esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &key));

  ESYS_TR session = ESYS_TR_PASSWORD;
  if (salted) {
    TPMT_SYM_DEF symmetric = {.algorithm = TPM2_ALG_AES};
    symmetric.keyBits.aes = 128;
    symmetric.mode.aes = TPM2_ALG_CFB;
    CHECK(Esys_StartAuthSession(esys, srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                NULL, TPM2_SE_HMAC, &symmetric, TPM2_ALG_SHA256, &session));
    CHECK(Esys_TRSess_SetAttributes(esys, session,
                                    TPMA_SESSION_CONTINUESESSION | TPMA_SESSION_DECRYPT, 0xFF));
  }

  TPM2B_DIGEST digest = {.size = 32};
  memset(digest.buffer, 0x5a, 32);
  TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA};
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  TPMT_TK_HASHCHECK validation = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};

  double start = now();
  for (long i = 0; i < count; i++) {
    TPMT_SIGNATURE *sig = NULL;
    digest.buffer[0] = (uint8_t)i;
    CHECK(Esys_Sign(esys, key, session, ESYS_TR_NONE, ESYS_TR_NONE, &digest, &scheme, &validation,
                    &sig));
    Esys_Free(sig);
  }
  double seconds = now() - start;
  printf("{\"signs\":%ld,\"seconds\":%.4f,\"perSecond\":%.1f,\"msPerSign\":%.4f}\n", count, seconds,
         count / seconds, seconds * 1000 / count);

  if (salted) Esys_FlushContext(esys, session);
  Esys_FlushContext(esys, key);
  Esys_FlushContext(esys, srk);
  Esys_Free(priv);
  Esys_Free(pub);
  Esys_Finalize(&esys);
  Tss2_TctiLdr_Finalize(&tcti);
  return 0;
}
