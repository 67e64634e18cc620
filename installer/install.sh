#!/bin/sh
# Genloom's installer for Linux and macOS: gets uv (the PyPI package "uv" ships its
# binary), then runs the installer (installer/genloom_installer) with a Python uv provides.
#
#   ./install.sh                      install, or update an installation in place
#   ./install.sh --torch-backend cpu  choose the PyTorch build (default: from the GPU)
#   ./install.sh --bundle FILE.tar    install from an offline bundle, with no network
#   ./install.sh uninstall            remove it (projects, models and settings stay)
#   ./install.sh repair | detect      reinstall every package | show the GPU and build
#
# Everything it does is in the log it names; nothing needs administrator rights.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
[ "$(uname -s)" = "Darwin" ] && data="$HOME/Library/Application Support"
tools="$data/genloom-installer-tools"

case "${1:-}" in
  install|update|repair|uninstall|detect|lock|bundle) command="$1"; shift ;;
  *) command=install ;;
esac
bundle=""
prev=""
for arg in "$@"; do
  [ "$prev" = "--bundle" ] && bundle="$arg"
  prev="$arg"
done

say() { printf 'genloom installer: %s\n' "$*" >&2; }

wheel_tag() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo manylinux_2_17_x86_64 ;;
    Linux-aarch64) echo manylinux_2_17_aarch64 ;;
    Darwin-arm64) echo macosx_11_0_arm64 ;;
    *) say "this system ($(uname -s) $(uname -m)) is not supported"; exit 1 ;;
  esac
}

unzip_uv() {  # unzip_uv WHEEL DIR: the uv program out of its wheel
  mkdir -p "$2"
  if command -v unzip >/dev/null 2>&1; then
    unzip -o -j -q "$1" '*.data/scripts/uv' -d "$2"
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$1" "$2" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/uv"))
    open(sys.argv[2] + "/uv", "wb").write(z.read(name))
PY
  else
    say "neither unzip nor python3 is installed; install one of them (or uv) and run this again"
    exit 1
  fi
  chmod 755 "$2/uv"
}

find_uv() {
  if [ -n "${GENLOOM_UV:-}" ]; then echo "$GENLOOM_UV"; return; fi
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  if [ -x "$tools/uv" ]; then echo "$tools/uv"; return; fi
  if [ -n "$bundle" ]; then
    say "taking uv from the bundle"
    tmp="$(mktemp -d)"
    tar -xf "$bundle" -C "$tmp" --wildcards '*/wheels/uv-*.whl'
    unzip_uv "$(ls "$tmp"/*/wheels/uv-*.whl | head -n 1)" "$tools"
    rm -rf "$tmp"
    echo "$tools/uv"; return
  fi
  say "downloading uv from PyPI"
  tag="$(wheel_tag)"
  url="$(curl -fsSL https://pypi.org/simple/uv/ | grep -o "https://[^\"#]*uv-[0-9.]*-py3-none-[^\"#]*$tag[^\"#]*\.whl" | tail -n 1)"
  if [ -z "$url" ]; then say "could not find uv's wheel for $tag on PyPI"; exit 1; fi
  tmp="$(mktemp -d)"
  curl -fsSL -o "$tmp/uv.whl" "$url"
  unzip_uv "$tmp/uv.whl" "$tools"
  rm -rf "$tmp"
  echo "$tools/uv"
}

uv="$(find_uv)"
offline=""
[ -n "$bundle" ] && offline="--offline"
export UV_PYTHON_DOWNLOADS="${UV_PYTHON_DOWNLOADS:-automatic}"
[ -n "$bundle" ] && export UV_PYTHON_DOWNLOADS=never
# The installer is standard-library Python: any 3.10+ uv finds (or fetches) runs it.
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$uv" run $offline --no-project --python '>=3.10' \
  python -m genloom_installer "$command" --uv "$uv" "$@"
