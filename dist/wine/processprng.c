/*
 * TEST-ONLY DEVICE for running anketa.exe under wine (dist/wine-test.sh). Never shipped.
 *
 * Rust's std on Windows takes its random bytes (HashMap seeds, uuid) from ProcessPrng in
 * bcryptprimitives.dll, which every Windows 10 and 11 has; wine 8.0 (Debian 12) lacks it, and
 * anketa.exe does not even start there (exit code 53, "DLL not found"). This file is a stand-in
 * bcryptprimitives.dll with the one export std needs, built on RtlGenRandom
 * (advapi32!SystemFunction036), which wine has. The test puts it into the wine prefix's
 * system32, where the real one lives on Windows, so the unzipped release folder under test
 * stays exactly as shipped.
 *
 * Built without the C runtime: x86_64-w64-mingw32-gcc -shared -nostdlib -e DllMainCRTStartup.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

BOOL WINAPI DllMainCRTStartup(HINSTANCE dll, DWORD reason, LPVOID reserved) {
  (void)dll;
  (void)reason;
  (void)reserved;
  return TRUE;
}

/* BOOL ProcessPrng(PBYTE pbData, SIZE_T cbData): always succeeds on Windows. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n;
    length -= n;
  }
  return TRUE;
}
