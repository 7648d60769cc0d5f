// The Secure Enclave and Keychain tiers' calls into Security.framework, without any Node-API:
// every function here runs on a worker thread (a keychain call can block on a prompt) and
// reports failures raw (a NativeError: the call, the CFError domain and status, the OS's text);
// src/backends/osstatus.ts names them.
#pragma once

#include <Security/Security.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../common/secret.h"
#include "../common/status.h"
#include "cf_ref.h"

namespace dk {
namespace macos {

// ok, or what failed as Security.framework reported it: call, domain ("NSOSStatusErrorDomain"
// for an OSStatus), status, and SecCopyErrorMessageString / CFErrorCopyDescription as
// statusText; or one of our reasons (NativeError::reason) when the OS reported no status.
using MacResult = Status;

enum class KeyKind {
  kSecureEnclaveBlob,       // non-permanent SE key; we keep its SE-wrapped "toid" blob
  kSecureEnclaveKeychain,   // permanent SE key in the data-protection keychain (entitled hosts)
  kKeychain,                // permanent software key in the user's default (login) keychain
};

// What the user must do, besides the process holding the key, for each use of a Secure Enclave
// key: nothing, or answer the system's prompt (SecAccessControl flags, fixed at creation).
enum class UserPresence {
  kNone,
  kBiometry,            // kSecAccessControlBiometryAny: Touch ID, any enrolled finger
  kBiometryOrPasscode,  // kSecAccessControlUserPresence: Touch ID, a watch, or the login password
};

struct KeySpec {
  KeyKind kind = KeyKind::kSecureEnclaveBlob;
  Bytes tag;                      // kSecAttrApplicationTag; permanent kinds only
  std::string label;              // kSecAttrLabel, shown in Keychain Access
  bool afterFirstUnlock = false;  // SE kinds: AfterFirstUnlockThisDeviceOnly instead of WhenUnlocked…
  std::string accessGroup;        // kSecureEnclaveKeychain only; empty = the entitlement's first
  UserPresence userPresence = UserPresence::kNone;  // SE kinds only (CreateKey refuses others)
};

struct NewKey {
  CFRef<SecKeyRef> key;  // the private key
  Bytes publicKey;       // 65-byte X9.63 (0x04 || X || Y)
  Bytes blob;            // kSecureEnclaveBlob: the "toid" attribute
  Bytes tag;             // FindKeys: kSecAttrApplicationTag as the keychain item holds it
};

struct HostInfo {
  bool entitled = false;                  // keychain-access-groups present and non-empty
  std::vector<std::string> accessGroups;  // its values, in order
};

// The entitlements of this process (SecTaskCopyValueForEntitlement on our own task).
HostInfo GetHostInfo();

// Searches the keychain for a tag nobody uses, reading no key. ok = the keychain answered
// (errSecItemNotFound counts as an answer). A locked file keychain may still ask to be unlocked.
MacResult ProbeKeychain();

// A permanent key whose public key cannot be read after it was stored is deleted again, so a
// failed create leaves no item behind.
MacResult CreateKey(const KeySpec& spec, NewKey* out);

// kSecureEnclaveBlob: rebuilds the key from its blob (SecKeyCreateWithData with "toid").
// The caller must compare the public key it reports with the stored one: without a "toid"
// SecKeyCreateWithData makes a brand-new key instead of failing (SecCTKKey.m); a damaged one
// fails.
MacResult RebuildSecureEnclaveKey(const Bytes& blob, NewKey* out);

// Permanent kinds: every private key item with the spec's tag, with its public key and the
// application tag read back from the item (empty if the keychain reported none).
MacResult FindKeys(const KeySpec& spec, std::vector<NewKey>* out);

// Permanent kinds: SecItemDelete until errSecItemNotFound (one call deletes one item in a file
// keychain, every match in the data-protection keychain). `deleted` counts items, not calls.
MacResult DeleteKeys(const KeySpec& spec, int* deleted);

// 65-byte X9.63 public key of a private or public key.
MacResult PublicKeyOf(SecKeyRef key, Bytes* out);

// ECDSA P-256 SHA-256, DER-encoded. prehashed: `data` is the 32-byte digest.
MacResult Sign(SecKeyRef key, const Bytes& data, bool prehashed, Bytes* der);

// Which SecKeyAlgorithm ECDH uses. For P-256 (cofactor 1) both give the same x-coordinate;
// which one a Secure Enclave key accepts is what the probe checks (src/backends/macos.ts).
enum class EcdhAlgorithm {
  kStandard,  // kSecKeyAlgorithmECDHKeyExchangeStandard
  kCofactor,  // kSecKeyAlgorithmECDHKeyExchangeCofactor
};

// ECDH with a validated 65-byte peer point: the 32-byte shared x-coordinate.
MacResult Ecdh(SecKeyRef key, const Bytes& peerPoint, EcdhAlgorithm algorithm, Bytes* shared);

// ECIES (kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA256AESGCM) to a 65-byte public
// key: ephemeral point || ciphertext || tag. Needs no private key, so no keychain access.
MacResult EncryptTo(const Bytes& publicKey, const Bytes& plaintext, Bytes* out);

// The inverse, with the private key.
MacResult Decrypt(SecKeyRef key, const Bytes& ciphertext, Bytes* plaintext);

}  // namespace macos
}  // namespace dk
