// What a failed native operation reports, without any Node-API: the platform call, its raw
// status and that status's own text. No stable error code is decided here: the TS layer has one
// table per platform (src/backends/tss2-status.ts, src/backends/osstatus.ts) that does that.
#pragma once

#include <cstdint>
#include <string>

namespace dk {

struct NativeError {
  std::string call;        // the platform function that failed: "Esys_Sign", "SecItemDelete", ...
  std::string domain;      // whose status: "tss2", a CFError domain; empty when there is none
  int64_t status = 0;      // the raw status (TSS2_RC, OSStatus, CFError code); valid with domain
  std::string statusText;  // the platform's text for it (Tss2_RC_Decode, SecCopyErrorMessageString)
  // A failure that no platform status describes, named by us: "closed", "bad-argument",
  // "corrupt", "unexpected-response", "unsupported-parent", "tss2-missing", "tbs-missing",
  // "out-of-memory", "internal-error" (src/native-errors.ts lists them). Empty when `domain`
  // is set.
  std::string reason;
  std::string detail;  // what went wrong, in words; for `reason` failures above all
};

// The outcome of one operation on a worker thread.
struct Status {
  bool ok = true;
  NativeError error;
};

}  // namespace dk
