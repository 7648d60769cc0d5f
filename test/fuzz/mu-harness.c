/*
 * The libtss2-mu side of the TPM2B differential (test/fuzz/mu-oracle.ts). It checks each input
 * exactly the way native/linux-tpm/tpm_device.cc does before a blob reaches the TPM
 * (UnmarshalPublic, UnmarshalPrivate): unmarshal, consume every byte, size prefix equal to the
 * structure, and for TPM2B_PUBLIC marshal again to the very same bytes.
 *
 * stdin: records of [kind: 1 byte, 'P' public or 'V' private][length: 4 bytes BE][bytes].
 * stdout: one line per record: "ERR <why>" or "OK ..." with the decoded fields in hex.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

static void hex(const uint8_t *p, size_t n) {
  if (n == 0) fputs("-", stdout);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void public_line(const uint8_t *buf, size_t len) {
  TPM2B_PUBLIC pub;
  memset(&pub, 0, sizeof(pub));
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &offset, &pub);
  if (rc != TSS2_RC_SUCCESS) { printf("ERR unmarshal 0x%x\n", rc); return; }
  if (offset != len || len < 2) { printf("ERR consumed %zu of %zu\n", offset, len); return; }
  size_t prefix = ((size_t)buf[0] << 8) | buf[1];
  if (prefix != len - 2 || pub.size != prefix) { printf("ERR size prefix\n"); return; }
  uint8_t again[sizeof(TPM2B_PUBLIC)];
  size_t written = 0;
  rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, again, sizeof(again), &written);
  if (rc != TSS2_RC_SUCCESS) { printf("ERR marshal 0x%x\n", rc); return; }
  if (written != len || memcmp(again, buf, len) != 0) { printf("ERR remarshal differs\n"); return; }
  const TPMT_PUBLIC *t = &pub.publicArea;
  printf("OK type=%04x nameAlg=%04x attrs=%08x authPolicy=", t->type, t->nameAlg,
         t->objectAttributes);
  hex(t->authPolicy.buffer, t->authPolicy.size);
  if (t->type == TPM2_ALG_ECC) {
    const TPMS_ECC_PARMS *e = &t->parameters.eccDetail;
    printf(" sym=%04x", e->symmetric.algorithm);
    if (e->symmetric.algorithm != TPM2_ALG_NULL)
      printf(",%04x,%04x", e->symmetric.keyBits.sym, e->symmetric.mode.sym);
    printf(" scheme=%04x", e->scheme.scheme);
    if (e->scheme.scheme != TPM2_ALG_NULL) printf(",%04x", e->scheme.details.anySig.hashAlg);
    if (e->scheme.scheme == TPM2_ALG_ECDAA) printf(",%04x", e->scheme.details.ecdaa.count);
    printf(" curve=%04x kdf=%04x", e->curveID, e->kdf.scheme);
    if (e->kdf.scheme != TPM2_ALG_NULL) printf(",%04x", e->kdf.details.mgf1.hashAlg);
    printf(" x=");
    hex(t->unique.ecc.x.buffer, t->unique.ecc.x.size);
    printf(" y=");
    hex(t->unique.ecc.y.buffer, t->unique.ecc.y.size);
  }
  printf("\n");
}

static void private_line(const uint8_t *buf, size_t len) {
  TPM2B_PRIVATE priv;
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &offset, &priv);
  if (rc != TSS2_RC_SUCCESS) { printf("ERR unmarshal 0x%x\n", rc); return; }
  if (offset != len || len < 2) { printf("ERR consumed %zu of %zu\n", offset, len); return; }
  size_t prefix = ((size_t)buf[0] << 8) | buf[1];
  if (prefix != len - 2 || priv.size != prefix) { printf("ERR size prefix\n"); return; }
  printf("OK size=%u\n", priv.size);
}

int main(void) {
  static uint8_t buf[1 << 20];
  for (;;) {
    uint8_t head[5];
    size_t got = fread(head, 1, sizeof(head), stdin);
    if (got == 0) break;
    if (got != sizeof(head)) { fprintf(stderr, "short header\n"); return 2; }
    size_t len = ((size_t)head[1] << 24) | ((size_t)head[2] << 16) | ((size_t)head[3] << 8) | head[4];
    if (len > sizeof(buf) || fread(buf, 1, len, stdin) != len) { fprintf(stderr, "short record\n"); return 2; }
    if (head[0] == 'P') public_line(buf, len);
    else if (head[0] == 'V') private_line(buf, len);
    else { fprintf(stderr, "bad kind\n"); return 2; }
  }
  return 0;
}
