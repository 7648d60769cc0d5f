#include "win_acl.h"
#include "win_text.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <map>
#include <memory>
#include <mutex>

namespace dk {
namespace {

Status Win32Failed(const char* call, DWORD code) { return Failed(call, "win32", code); }

struct LocalFreer {
  void operator()(void* p) const {
    if (p) LocalFree(p);
  }
};

std::string SidString(PSID sid) {
  wchar_t* str = nullptr;
  if (!sid || !ConvertSidToStringSidW(sid, &str)) return std::string();
  std::string s = Narrow(str);
  LocalFree(str);
  return s;
}

std::string LookupName(PSID sid) {
  wchar_t name[256];
  wchar_t domain[256];
  DWORD nameLen = 256, domainLen = 256;
  SID_NAME_USE use;
  if (!LookupAccountSidW(nullptr, sid, name, &nameLen, domain, &domainLen, &use)) {
    return std::string();
  }
  std::string d = Narrow(domain);
  std::string n = Narrow(name);
  return d.empty() ? n : d + "\\" + n;
}

// LookupAccountSidW runs on the JS thread (a file's security is read synchronously) and can
// wait on a domain controller for a SID it has to resolve over the network. A name is only
// used in messages, and a SID's name does not change under a running process, so each SID is
// looked up once per process, failures included.
std::string SidName(PSID sid, const std::string& sidString) {
  static std::mutex mutex;
  static std::map<std::string, std::string> names;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = names.find(sidString);
    if (it != names.end()) return it->second;
  }
  std::string name = LookupName(sid);
  std::lock_guard<std::mutex> lock(mutex);
  if (names.size() < 1024) names.emplace(sidString, name);
  return name;
}

}  // namespace

Status ReadFileSecurity(const std::string& path, WinFileSecurity* out) {
  std::wstring wpath = Wide(path);
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD rc = GetNamedSecurityInfoW(wpath.c_str(), SE_FILE_OBJECT,
                                   OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
                                   nullptr, &dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Win32Failed("GetNamedSecurityInfoW", rc);
  std::unique_ptr<void, LocalFreer> sdOwner(sd);
  out->owner = SidString(owner);
  out->daclPresent = dacl != nullptr;
  out->aces.clear();
  if (dacl) {
    for (DWORD i = 0; i < dacl->AceCount; i++) {
      void* raw = nullptr;
      if (!GetAce(dacl, i, &raw)) return Win32Failed("GetAce", GetLastError());
      auto* header = static_cast<ACE_HEADER*>(raw);
      WinAce ace;
      ace.inherited = (header->AceFlags & INHERITED_ACE) != 0;
      ace.inheritOnly = (header->AceFlags & INHERIT_ONLY_ACE) != 0;
      PSID sid = nullptr;
      if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
        auto* a = static_cast<ACCESS_ALLOWED_ACE*>(raw);
        ace.type = "allow";
        ace.mask = a->Mask;
        sid = &a->SidStart;
      } else if (header->AceType == ACCESS_DENIED_ACE_TYPE) {
        auto* a = static_cast<ACCESS_DENIED_ACE*>(raw);
        ace.type = "deny";
        ace.mask = a->Mask;
        sid = &a->SidStart;
      } else {
        ace.type = "other";
      }
      if (sid) {
        ace.sid = SidString(sid);
        ace.name = SidName(sid, ace.sid);
      }
      out->aces.push_back(std::move(ace));
    }
  }
  return Status{};
}

Status SetPrivateAcl(const std::string& path, bool directory) {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    return Win32Failed("OpenProcessToken", GetLastError());
  }
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::unique_ptr<unsigned char[]> userBuf(new unsigned char[size ? size : 1]);
  if (!GetTokenInformation(token, TokenUser, userBuf.get(), size, &size)) {
    DWORD err = GetLastError();
    CloseHandle(token);
    return Win32Failed("GetTokenInformation", err);
  }
  CloseHandle(token);
  PSID user = reinterpret_cast<TOKEN_USER*>(userBuf.get())->User.Sid;

  unsigned char systemSid[SECURITY_MAX_SID_SIZE];
  unsigned char adminsSid[SECURITY_MAX_SID_SIZE];
  DWORD n1 = sizeof systemSid, n2 = sizeof adminsSid;
  if (!CreateWellKnownSid(WinLocalSystemSid, nullptr, systemSid, &n1) ||
      !CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, adminsSid, &n2)) {
    return Win32Failed("CreateWellKnownSid", GetLastError());
  }

  EXPLICIT_ACCESS_W ea[3] = {};
  PSID sids[3] = {user, systemSid, adminsSid};
  for (int i = 0; i < 3; i++) {
    ea[i].grfAccessPermissions = FILE_ALL_ACCESS;
    ea[i].grfAccessMode = SET_ACCESS;
    ea[i].grfInheritance = directory ? SUB_CONTAINERS_AND_OBJECTS_INHERIT : NO_INHERITANCE;
    ea[i].Trustee.TrusteeForm = TRUSTEE_IS_SID;
    ea[i].Trustee.TrusteeType = TRUSTEE_IS_UNKNOWN;
    ea[i].Trustee.ptstrName = static_cast<LPWSTR>(sids[i]);
  }
  PACL acl = nullptr;
  DWORD rc = SetEntriesInAclW(3, ea, nullptr, &acl);
  if (rc != ERROR_SUCCESS) return Win32Failed("SetEntriesInAclW", rc);
  std::unique_ptr<void, LocalFreer> aclOwner(acl);
  std::wstring wpath = Wide(path);
  rc = SetNamedSecurityInfoW(&wpath[0], SE_FILE_OBJECT,
                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                             nullptr, nullptr, acl, nullptr);
  if (rc != ERROR_SUCCESS) return Win32Failed("SetNamedSecurityInfoW", rc);
  return Status{};
}

}  // namespace dk
