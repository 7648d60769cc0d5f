// Text for native/windows/: UTF-8 <-> UTF-16 and the system's message for a status, so every
// failure reaches TypeScript with Windows' own words for it.
#pragma once

#include <windows.h>

#include <cstdint>
#include <string>

#include "../common/status.h"

namespace dk {

std::wstring Wide(const std::string& s);
std::string Narrow(const wchar_t* w);

// FormatMessageW's text for a Win32 error, SECURITY_STATUS, HRESULT or TBS_RESULT, without the
// trailing CR LF; empty when the system has none.
std::string ErrorText(DWORD code);

// A failed call: its name, the domain whose status it is ("win32", "ncrypt", "tbs"), the raw
// status and its text.
Status Failed(const char* call, const char* domain, uint32_t code);

}  // namespace dk
