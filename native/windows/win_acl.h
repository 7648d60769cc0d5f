// Owner and DACL of a file, and a private DACL for it, without any Node-API: raw Win32 statuses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../common/status.h"

namespace dk {

struct WinAce {
  std::string type;  // "allow", "deny" or "other"
  std::string sid;   // S-1-...
  std::string name;  // DOMAIN\name from LookupAccountSidW, empty if the SID does not resolve
  uint32_t mask = 0;
  bool inherited = false;    // INHERITED_ACE
  bool inheritOnly = false;  // INHERIT_ONLY_ACE: applies to children only, not to this object
};

struct WinFileSecurity {
  std::string owner;
  bool daclPresent = false;  // false: a NULL DACL, which grants everyone everything
  std::vector<WinAce> aces;
};

// `path` is UTF-8. On failure the Status carries the call, domain "win32" and the error code.
Status ReadFileSecurity(const std::string& path, WinFileSecurity* out);

// A protected DACL (no inherited entries) granting full control to the process's user, SYSTEM
// and Administrators; for a directory the entries are inherited by everything created in it.
Status SetPrivateAcl(const std::string& path, bool directory);

}  // namespace dk
