/*
 * A stand-in for bcryptprimitives.dll, which Wine 8 lacks. Rust (rollup's native module) and Go
 * (esbuild.exe) programs import ProcessPrng from it and refuse to start without it; Windows 10 and
 * later have the real one. scripts/windows/setup.sh builds this with mingw-w64 into the test Wine
 * prefix's system32 only: it is test tooling, never shipped.
 */
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!RtlGenRandom(data, n)) return FALSE;
    data += n; len -= n;
  }
  return TRUE;
}
