"""dist/wine-test.sh: is the Windows output (file or stream) the same as the Linux one but for the
path separator? Exit 0 if so; else say why, exit 1.

    same.py LINUX WINDOWS

The one normalisation of the wine test: where the texts differ, a `/` of Linux may stand against
one `\\` of Windows, or against the `\\\\` that JSON and Markdown make of it; every other byte
must be equal. A merge-report.json must moreover, read as JSON, differ only in the fields that
name an input's path.
"""

import json
import sys

PATH_FIELDS = {"path", "kept", "copies"}


def paths_as_unix(v, key=None):
    if isinstance(v, dict):
        return {k: paths_as_unix(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [paths_as_unix(x, key) for x in v]
    if isinstance(v, str) and key in PATH_FIELDS:
        return v.replace("\\", "/")
    return v


def first_difference(a, b):
    """Where `a` (Linux) and `b` (Windows) first differ other than `/` against `\\` or `\\\\`."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i, j = i + 1, j + 1
        elif a[i : i + 1] == b"/" and b[j : j + 1] == b"\\":
            i, j = i + 1, j + (2 if b[j : j + 2] == b"\\\\" else 1)
        else:
            return i, j
    return None if (i, j) == (len(a), len(b)) else (i, j)


def main(linux, windows):
    a = open(linux, "rb").read()
    b = open(windows, "rb").read()
    at = first_difference(a, b)
    if at is not None:
        line = a[: at[0]].count(b"\n") + 1
        print(f"{linux} and {windows} differ in more than path separators (line {line})", file=sys.stderr)
        return 1
    if linux.endswith("merge-report.json") and paths_as_unix(json.loads(a)) != paths_as_unix(json.loads(b)):
        print(f"{linux} and {windows} differ outside the fields that hold paths", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
