/*
 * TEST-ONLY helper for dist/wine-test.sh: holds a file open the way another Windows program
 * would, while anketa.exe replaces it.
 *   holdopen.exe share-delete|share-read FILE STOPFILE
 * opens FILE for reading with FILE_SHARE_READ|WRITE|DELETE (how Rust's std, and so anketa,
 * opens files) or with FILE_SHARE_READ only (how Excel holds a workbook it has open), writes
 * `.held` in the current folder once it has, and waits until STOPFILE exists.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: holdopen share-delete|share-read FILE STOPFILE\n");
    return 2;
  }
  DWORD share = strcmp(argv[1], "share-delete") == 0
                    ? FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
                    : FILE_SHARE_READ;
  HANDLE h = CreateFileA(argv[2], GENERIC_READ, share, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "holdopen: cannot open %s: error %lu\n", argv[2], GetLastError());
    return 1;
  }
  HANDLE m = CreateFileA(".held", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (m != INVALID_HANDLE_VALUE) CloseHandle(m);
  for (int i = 0; i < 600 && GetFileAttributesA(argv[3]) == INVALID_FILE_ATTRIBUTES; i++) Sleep(50);
  CloseHandle(h);
  return 0;
}
