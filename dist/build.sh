#!/usr/bin/env bash
# Field builds of anketa, for laptops without Rust:
#   dist/out/anketa-<version>-linux-x86_64          static (musl), stripped
#   dist/out/anketa-<version>-windows-x86_64.zip    anketa.exe + the Russian guides (HTML)
# Installs the Rust targets and the Windows linker it needs (rustup; apt for mingw and zip).
# Reproducible where the toolchain allows: no debug info, paths remapped, a fixed timestamp in
# the zip (the commit's), sorted entries. The developer's `cargo run --release` is untouched.
# Usage: dist/build.sh [linux|windows|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -q . && echo "+changes" || true)
export ANKETA_VERSION="$version ($commit$dirty)"
# Reproducibility: no absolute build paths in the binary, a fixed epoch for the archive.
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$PWD=/anketa --remap-path-prefix=$HOME=/home"
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH=$epoch
out=dist/out
mkdir -p "$out"
have() { command -v "$1" >/dev/null 2>&1; }
apt_install() { if have apt-get; then (apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$@" >/dev/null; }); else echo "install $* first" >&2; exit 1; fi; }

linux() {
  rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1 || true
  cargo build --profile dist --target x86_64-unknown-linux-musl --locked -q
  cp target/x86_64-unknown-linux-musl/dist/anketa "$out/anketa-$version-linux-x86_64"
  echo "$out/anketa-$version-linux-x86_64: $(stat -c %s "$out/anketa-$version-linux-x86_64") bytes"
}

windows() {
  rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1 || true
  have x86_64-w64-mingw32-gcc || apt_install gcc-mingw-w64-x86-64
  have zip || apt_install zip
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    cargo build --profile dist --target x86_64-pc-windows-gnu --locked -q
  local stage
  stage=$(mktemp -d)
  mkdir -p "$stage/anketa"
  cp target/x86_64-pc-windows-gnu/dist/anketa.exe "$stage/anketa/"
  # The guides, printable: Markdown → HTML with python3's markdown (installed from PyPI if
  # missing), else as text.
  python3 -c 'import markdown' 2>/dev/null || python3 -m pip install -q markdown >/dev/null 2>&1 || true
  for g in docs/ru/*.md; do
    [ -f "$g" ] || continue
    name=$(basename "$g" .md)
    if python3 -c 'import markdown' 2>/dev/null; then
      python3 -c 'import markdown,sys; print("<!doctype html><meta charset=utf-8><title>anketa</title>"+markdown.markdown(open(sys.argv[1],encoding="utf-8").read(),extensions=["tables"]))' "$g" > "$stage/anketa/$name.html"
    else
      cp "$g" "$stage/anketa/$name.txt"
    fi
  done
  mkdir -p "$stage/anketa/anketa-data.example"
  find "$stage" -exec touch -h -d "@$epoch" {} +
  local zipfile="$PWD/$out/anketa-$version-windows-x86_64.zip"
  rm -f "$zipfile"
  (cd "$stage" && find anketa | LC_ALL=C sort | zip -X -q -@ "$zipfile")
  rm -rf "$stage"
  echo "$out/anketa-$version-windows-x86_64.zip: $(stat -c %s "$zipfile") bytes (anketa.exe $(stat -c %s target/x86_64-pc-windows-gnu/dist/anketa.exe) bytes)"
}

case $what in
  linux) linux ;;
  windows) windows ;;
  all) linux; windows ;;
  *) echo "usage: dist/build.sh [linux|windows|all]" >&2; exit 2 ;;
esac
