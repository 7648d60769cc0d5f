// One HMAC session, salted to the SRK, computed here rather than by ESAPI (see session_crypto.h
// for why), and the commands that carry secrets sent through it as raw TPM command buffers on
// the device's TCTI, between ESAPI calls (ESAPI keeps no state across calls that this disturbs).
//
// Every command: cpHash over the Names of its handles, a fresh caller nonce, the HMAC keyed by
// sessionKey || authValue; the first parameter AES-128-CFB encrypted when it is a TPM2B
// ("decrypt"), the first response parameter too ("encrypt"); the response HMAC checked before
// any of its bytes are used. TPM 2.0 Part 1 §19.6 (HMAC), §21 (parameter encryption).
#pragma once

#include <cstdint>
#include <string>

#include "session_crypto.h"
#include "tss2_api.h"

namespace dk {

class HmacSession {
 public:
  explicit HmacSession(const SessionCrypto& crypto) : crypto_(crypto) {}
  ~HmacSession() { Forget(); }

  bool started() const { return handle_ != 0; }

  // TPM2_StartAuthSession, salted to the key at `tpmKey` whose P-256 public point is (x, y),
  // bound to nothing, AES-128-CFB, SHA-256. The caller has checked that point's Name.
  TSS2_RC Start(TSS2_TCTI_CONTEXT* tcti, uint32_t tpmKey, const Bytes& x, const Bytes& y);

  struct Command {
    uint32_t code = 0;
    uint32_t handle = 0;        // the one handle, authorized by this session
    Bytes name;                 // its Name, bound into cpHash
    Bytes params;               // marshalled parameters
    const Bytes* authValue = nullptr;  // the handle's authValue (empty for most of our keys)
    bool encryptIn = false;     // the first command parameter is a TPM2B: send it encrypted
    bool encryptOut = false;    // the first response parameter is a TPM2B: receive it encrypted
    // A second authorized handle (TPM2_Certify's signing key), or 0. It gets an empty password
    // (TPM_RS_PW), so it must be an object whose authValue is empty: nothing secret is sent,
    // and its Name is bound into this session's cpHash all the same.
    uint32_t handle2 = 0;
    Bytes name2;
  };
  // Sends `command`, checks the response's HMAC, and returns its parameters, decrypted. A TPM
  // error comes back as its TPM_RC; a response that fails the check as
  // TSS2_ESYS_RC_RSP_AUTH_FAILED (with `why`), and then nothing from it is used. After any
  // failure the session is forgotten (its nonces may be out of step): the next call starts one.
  // `responseHandle`: for a command whose response has one (TPM2_Load), else null.
  TSS2_RC Execute(TSS2_TCTI_CONTEXT* tcti, const Command& command, Bytes* responseParams,
                  std::string* why, uint32_t* responseHandle = nullptr);

  // The session handle, to flush it (0 when none).
  uint32_t handle() const { return handle_; }
  // Drops the session's secrets without telling the TPM.
  void Forget();

 private:
  TSS2_RC Transact(TSS2_TCTI_CONTEXT* tcti, const Bytes& command, Bytes* response);
  Bytes HmacKey(const Bytes* authValue) const;
  // A fresh caller nonce. They are drawn from libcrypto kNoncesPerDraw at a time: its
  // RAND_bytes costs about 6 us a call here (OpenSSL 3 looks its DRBG's parameters up on every
  // call), which was nearly half of this side's work per command. Nonces cross the bus in
  // clear, so the unused ones held here are no secret; each is used once.
  bool NextNonce(Bytes* nonce);

  const SessionCrypto& crypto_;
  uint32_t handle_ = 0;
  SecretBytes sessionKey_;
  Bytes nonceTpm_;
  Bytes nonces_;
  size_t noncesUsed_ = 0;
};

// A TPM2B as a command parameter: its 16-bit size, then the bytes.
void AppendTpm2b(Bytes* out, const uint8_t* data, size_t n);
void AppendU16(Bytes* out, uint16_t v);
void AppendU32(Bytes* out, uint32_t v);

// Reads big-endian values and TPM2Bs from a response; every read is bounds-checked and a
// failed one leaves ok() false.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint8_t U8();
  uint16_t U16();
  uint32_t U32();
  // A TPM2B's bytes (without the size); at most `max` bytes.
  Bytes Tpm2b(size_t max);
  bool ok() const { return ok_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace dk
