#include "tpm_session.h"

#include <cstring>

namespace dk {
namespace {

constexpr size_t kNonceSize = 32;
constexpr size_t kNoncesPerDraw = 32;
constexpr size_t kMaxResponse = 4096;  // TPM2_MAX_RESPONSE_SIZE of every TPM we know
constexpr int kMaxRetries = 100;       // ESAPI's limit for the same warnings
constexpr uint8_t kContinueSession = 0x01;
constexpr uint8_t kDecrypt = 0x20;  // the command's first parameter is encrypted
constexpr uint8_t kEncrypt = 0x40;  // the response's first parameter is encrypted

// The TPM ignores trailing zeros of an authValue in HMACs (Part 1 §19.6.5); so must we.
Bytes WithoutTrailingZeros(const Bytes* auth) {
  if (!auth) return {};
  size_t n = auth->size();
  while (n > 0 && (*auth)[n - 1] == 0) n--;
  return Bytes(auth->begin(), auth->begin() + static_cast<long>(n));
}

TSS2_RC Malformed() { return TSS2_ESYS_RC_RSP_AUTH_FAILED; }

}  // namespace

void AppendU16(Bytes* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

void AppendU32(Bytes* out, uint32_t v) {
  AppendU16(out, static_cast<uint16_t>(v >> 16));
  AppendU16(out, static_cast<uint16_t>(v));
}

void AppendTpm2b(Bytes* out, const uint8_t* data, size_t n) {
  AppendU16(out, static_cast<uint16_t>(n));
  if (n) out->insert(out->end(), data, data + n);
}

uint16_t Reader::U16() {
  if (!ok_ || left() < 2) {
    ok_ = false;
    return 0;
  }
  uint16_t v = static_cast<uint16_t>((p_[0] << 8) | p_[1]);
  p_ += 2;
  return v;
}

uint8_t Reader::U8() {
  if (!ok_ || left() < 1) {
    ok_ = false;
    return 0;
  }
  return *p_++;
}

uint32_t Reader::U32() {
  uint32_t hi = U16();
  return (hi << 16) | U16();
}

Bytes Reader::Tpm2b(size_t max) {
  size_t n = U16();
  if (!ok_ || n > max || n > left()) {
    ok_ = false;
    return {};
  }
  Bytes b(p_, p_ + n);
  p_ += n;
  return b;
}

bool HmacSession::NextNonce(Bytes* nonce) {
  if (noncesUsed_ + kNonceSize > nonces_.size()) {
    nonces_.resize(kNonceSize * kNoncesPerDraw);
    noncesUsed_ = 0;
    if (!crypto_.Random(nonces_.data(), nonces_.size())) {
      nonces_.clear();
      return false;
    }
  }
  const auto first = nonces_.begin() + static_cast<long>(noncesUsed_);
  nonce->assign(first, first + static_cast<long>(kNonceSize));
  noncesUsed_ += kNonceSize;
  return true;
}

void HmacSession::Forget() {
  handle_ = 0;
  Wipe(&sessionKey_.bytes);
  nonceTpm_.clear();
}

TSS2_RC HmacSession::Transact(TSS2_TCTI_CONTEXT* tcti, const Bytes& command, Bytes* response) {
  // A TPM that did not start the command (RETRY, YIELDED, TESTING) processed nothing, nonces
  // included: the same bytes are sent again, as ESAPI does for its own commands.
  for (int attempt = 0;; attempt++) {
    TSS2_RC rc = Tss2_Tcti_Transmit(tcti, command.size(), command.data());
    if (rc != TSS2_RC_SUCCESS) return rc;
    response->assign(kMaxResponse, 0);
    size_t size = response->size();
    rc = Tss2_Tcti_Receive(tcti, &size, response->data(), TSS2_TCTI_TIMEOUT_BLOCK);
    if (rc != TSS2_RC_SUCCESS) return rc;
    response->resize(size);
    // Header: tag, size, response code.
    Reader r(response->data(), response->size());
    r.U16();
    const uint32_t declared = r.U32();
    const uint32_t code = r.U32();
    if (!r.ok() || declared != response->size()) return Malformed();
    const bool notStarted =
        code == TPM2_RC_RETRY || code == TPM2_RC_YIELDED || code == TPM2_RC_TESTING;
    if (!notStarted || attempt >= kMaxRetries) return code;  // the TPM's own TPM_RC (layer 0)
  }
}

TSS2_RC HmacSession::Start(TSS2_TCTI_CONTEXT* tcti, uint32_t tpmKey, const Bytes& x,
                           const Bytes& y) {
  Forget();
  Bytes ephX, ephY;
  SecretBytes salt;
  Bytes nonceCaller;
  if (!crypto_.EccSalt(x, y, &ephX, &ephY, &salt) || !NextNonce(&nonceCaller)) {
    return TSS2_ESYS_RC_GENERAL_FAILURE;
  }
  Bytes cmd;
  AppendU16(&cmd, TPM2_ST_NO_SESSIONS);
  AppendU32(&cmd, 0);  // size, set below
  AppendU32(&cmd, TPM2_CC_StartAuthSession);
  AppendU32(&cmd, tpmKey);
  AppendU32(&cmd, TPM2_RH_NULL);  // bind
  AppendTpm2b(&cmd, nonceCaller.data(), nonceCaller.size());
  // encryptedSalt: a TPM2B holding the marshalled ephemeral TPMS_ECC_POINT.
  AppendU16(&cmd, static_cast<uint16_t>(2 + ephX.size() + 2 + ephY.size()));
  AppendTpm2b(&cmd, ephX.data(), ephX.size());
  AppendTpm2b(&cmd, ephY.data(), ephY.size());
  cmd.push_back(TPM2_SE_HMAC);
  AppendU16(&cmd, TPM2_ALG_AES);
  AppendU16(&cmd, 128);
  AppendU16(&cmd, TPM2_ALG_CFB);
  AppendU16(&cmd, TPM2_ALG_SHA256);
  const uint32_t size = static_cast<uint32_t>(cmd.size());
  for (int i = 0; i < 4; i++) cmd[2 + i] = static_cast<uint8_t>(size >> (24 - 8 * i));
  Bytes rsp;
  TSS2_RC rc = Transact(tcti, cmd, &rsp);
  if (rc != TSS2_RC_SUCCESS) return rc;
  Reader r(rsp.data() + 10, rsp.size() - 10);
  const uint32_t handle = r.U32();
  Bytes nonceTpm = r.Tpm2b(64);
  if (!r.ok() || r.left() != 0 || nonceTpm.size() < 16) return Malformed();
  // sessionKey = KDFa(SHA-256, salt, "ATH", nonceTPM, nonceCaller, 256); unbound, so no
  // authValue of a bind entity in front of the salt.
  sessionKey_.bytes = crypto_.KdfA(salt.bytes, "ATH", nonceTpm, nonceCaller, 256);
  nonceTpm_ = std::move(nonceTpm);
  handle_ = handle;
  return TSS2_RC_SUCCESS;
}

Bytes HmacSession::HmacKey(const Bytes* authValue) const {
  Bytes key = sessionKey_.bytes;
  Bytes auth = WithoutTrailingZeros(authValue);
  key.insert(key.end(), auth.begin(), auth.end());
  Wipe(&auth);
  return key;
}

TSS2_RC HmacSession::Execute(TSS2_TCTI_CONTEXT* tcti, const Command& command,
                             Bytes* responseParams, std::string* why, uint32_t* responseHandle) {
  if (!started()) {
    *why = "no session";
    return TSS2_ESYS_RC_BAD_SEQUENCE;
  }
  SecretBytes key(HmacKey(command.authValue));
  Bytes nonceCaller;
  if (!NextNonce(&nonceCaller)) {
    Forget();
    return TSS2_ESYS_RC_GENERAL_FAILURE;
  }
  const uint8_t attributes = static_cast<uint8_t>(kContinueSession |
                                                  (command.encryptIn ? kDecrypt : 0) |
                                                  (command.encryptOut ? kEncrypt : 0));
  Bytes params = command.params;
  if (command.encryptIn) {
    // The TPM2B's bytes, not its size, under KDFa(sessionValue, "CFB", nonceCaller, nonceTPM).
    if (params.size() < 2) return TSS2_ESYS_RC_BAD_VALUE;
    const size_t n = (static_cast<size_t>(params[0]) << 8) | params[1];
    if (n > params.size() - 2) return TSS2_ESYS_RC_BAD_VALUE;
    SecretBytes kiv(crypto_.KdfA(key.bytes, "CFB", nonceCaller, nonceTpm_, 256));
    crypto_.AesCfb(kiv.bytes.data(), kiv.bytes.data() + 16, params.data() + 2, n, true);
  }
  uint8_t cc[4];
  for (int i = 0; i < 4; i++) cc[i] = static_cast<uint8_t>(command.code >> (24 - 8 * i));
  // cpHash = SHA-256(commandCode || Name(handle) || parameters as sent).
  uint8_t cpHash[32];
  crypto_.Sha256({{cc, 4},
                  {command.name.data(), command.name.size()},
                  {command.name2.data(), command.name2.size()},
                  {params.data(), params.size()}},
                 cpHash);
  uint8_t hmac[32];
  crypto_.HmacSha256(key.bytes,
                     {{cpHash, 32},
                      {nonceCaller.data(), nonceCaller.size()},
                      {nonceTpm_.data(), nonceTpm_.size()},
                      {&attributes, 1}},
                     hmac);
  Bytes cmd;
  AppendU16(&cmd, TPM2_ST_SESSIONS);
  AppendU32(&cmd, 0);
  AppendU32(&cmd, command.code);
  AppendU32(&cmd, command.handle);
  if (command.handle2) AppendU32(&cmd, command.handle2);
  const size_t passwordArea = command.handle2 ? 4 + 2 + 1 + 2 : 0;
  AppendU32(&cmd, static_cast<uint32_t>(4 + 2 + nonceCaller.size() + 1 + 2 + sizeof(hmac) +
                                        passwordArea));
  AppendU32(&cmd, handle_);
  AppendTpm2b(&cmd, nonceCaller.data(), nonceCaller.size());
  cmd.push_back(attributes);
  AppendTpm2b(&cmd, hmac, sizeof(hmac));
  if (command.handle2) {
    AppendU32(&cmd, TPM2_RS_PW);
    AppendU16(&cmd, 0);  // nonce
    cmd.push_back(0);    // attributes
    AppendU16(&cmd, 0);  // the empty password
  }
  cmd.insert(cmd.end(), params.begin(), params.end());
  const uint32_t size = static_cast<uint32_t>(cmd.size());
  for (int i = 0; i < 4; i++) cmd[2 + i] = static_cast<uint8_t>(size >> (24 - 8 * i));

  Bytes rsp;
  TSS2_RC rc = Transact(tcti, cmd, &rsp);
  if (rc != TSS2_RC_SUCCESS) {
    // An error response has no session area and leaves the nonces where they were, but a
    // session that saw an error is not worth reasoning about: start a fresh one next time.
    if (rc == Malformed()) *why = "the response does not parse";
    Forget();
    return rc;
  }
  // Response: header, [a handle], parameterSize, parameters, then nonceTPM, attributes, HMAC.
  // The handle is not in rpHash; the caller checks what it names (TPM2_Load's Name).
  const size_t handleBytes = responseHandle ? 4 : 0;
  Reader r(rsp.data() + 10, rsp.size() - 10);
  if (responseHandle) *responseHandle = r.U32();
  const uint32_t paramSize = r.U32();
  if (!r.ok() || paramSize > r.left()) {
    *why = "the response's parameter size is out of range";
    Forget();
    return Malformed();
  }
  const uint8_t* rp = rsp.data() + 14 + handleBytes;
  Reader auth(rp + paramSize, r.left() - paramSize);
  Bytes nonceTpm = auth.Tpm2b(64);
  const uint8_t rspAttributes = auth.U8();
  Bytes rspHmac = auth.Tpm2b(64);
  if (command.handle2) {
    // The password session's answer: an empty nonce, its attributes, an empty HMAC (the
    // reads fail on anything longer).
    auth.Tpm2b(0);
    auth.U8();
    auth.Tpm2b(0);
  }
  if (!auth.ok() || auth.left() != 0 || nonceTpm.size() < 16) {
    *why = "the response's session area does not parse";
    Forget();
    return Malformed();
  }
  // rpHash = SHA-256(responseCode (0) || commandCode || parameters as received).
  const uint8_t zero[4] = {0, 0, 0, 0};
  uint8_t rpHash[32];
  crypto_.Sha256({{zero, 4}, {cc, 4}, {rp, paramSize}}, rpHash);
  uint8_t expect[32];
  crypto_.HmacSha256(key.bytes,
                     {{rpHash, 32},
                      {nonceTpm.data(), nonceTpm.size()},
                      {nonceCaller.data(), nonceCaller.size()},
                      {&rspAttributes, 1}},
                     expect);
  uint8_t diff = rspHmac.size() == sizeof(expect) ? 0 : 1;
  for (size_t i = 0; i < sizeof(expect) && i < rspHmac.size(); i++) diff |= rspHmac[i] ^ expect[i];
  if (diff != 0 || (rspAttributes & kContinueSession) == 0) {
    *why = "the response's HMAC does not verify: it was not made by the TPM that holds this "
           "session, or it was changed on the way";
    Forget();
    return TSS2_ESYS_RC_RSP_AUTH_FAILED;
  }
  responseParams->assign(rp, rp + paramSize);
  if (command.encryptOut) {
    if (paramSize < 2) {
      *why = "the encrypted response parameter is missing";
      Forget();
      return Malformed();
    }
    const size_t n = (static_cast<size_t>((*responseParams)[0]) << 8) | (*responseParams)[1];
    if (n > paramSize - 2) {
      *why = "the encrypted response parameter's size is out of range";
      Forget();
      return Malformed();
    }
    SecretBytes kiv(crypto_.KdfA(key.bytes, "CFB", nonceTpm, nonceCaller, 256));
    crypto_.AesCfb(kiv.bytes.data(), kiv.bytes.data() + 16, responseParams->data() + 2, n, false);
  }
  nonceTpm_ = std::move(nonceTpm);
  return TSS2_RC_SUCCESS;
}

}  // namespace dk
