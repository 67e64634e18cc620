#!/usr/bin/env bash
# Set up Genloom for development or use: a .venv at the repository root holding
# torch (installed first, so pip never swaps in a multi-GB build it did not need),
# then the project itself with its dev extra. First, before building anything, it
# finds which system libraries Qt needs are missing (desktop/genloom/core/system_libs.py
# loads each one, and once the venv exists runs ldd over the installed Qt modules and
# plugins); as root it installs them with apt-get, otherwise it stops with the command.
#
#   installer/setup.sh            create or update .venv
#   GENLOOM_TORCH_INDEX=URL ...   take torch from another index (e.g. a CPU-only one)
#   GENLOOM_PYTHON=python3.12 ... build the venv with another interpreter
#   GENLOOM_EXTRAS=ray ...        install optional extras besides dev (comma-separated; CI: ray)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${GENLOOM_PYTHON:-python3}"
torch_version="${GENLOOM_TORCH_VERSION:-2.13.0}"
system_libs=desktop/genloom/core/system_libs.py

if ! command -v "$python" >/dev/null 2>&1; then
  echo "genloom setup: $python not found; install Python 3.10 to 3.13 (on Debian/Ubuntu: sudo apt-get install python3 python3-venv)" >&2
  exit 1
fi
"$python" "$system_libs" --check || exit 1

# The same probe against the Qt that pip installed: ldd names any library its modules
# and plugins cannot find, including ones the list above does not know yet.
check_qt() {
  local qt_dir
  qt_dir="$(.venv/bin/python -c 'import importlib.util, os; s = importlib.util.find_spec("PySide6"); print(os.path.dirname(s.origin) if s else "")')"
  if [ -n "$qt_dir" ]; then
    .venv/bin/python "$system_libs" --check --qt-dir "$qt_dir" || exit 1
  fi
}

if [ ! -x .venv/bin/python ]; then
  echo "genloom setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --quiet)

# Byte-compile Genloom's own sources, as pip does for a regular install: an editable
# install is not compiled, and where PYTHONDONTWRITEBYTECODE is set every start would
# compile the app's modules again (~30 ms of cold start for main_window.py alone).
# Quick when nothing changed (only timestamps are compared).
compile_sources() {
  .venv/bin/python -m compileall -q -j 0 desktop plugins >/dev/null || true
}

stamp=.venv/.genloom-setup
if [[ ! "${GENLOOM_EXTRAS:-}" =~ ^[a-z,]*$ ]]; then
  echo "genloom setup: GENLOOM_EXTRAS='${GENLOOM_EXTRAS}' is not a comma-separated list of extras (e.g. ray,api)" >&2
  exit 1
fi
extras="dev${GENLOOM_EXTRAS:+,$GENLOOM_EXTRAS}"
want="$( (cat pyproject.toml installer/setup.sh; echo "$extras") | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  check_qt
  compile_sources
  exit 0  # nothing changed since the last successful set-up
fi

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  # A machine with an NVIDIA driver gets the default (CUDA) wheel; others get
  # whatever GENLOOM_TORCH_INDEX points at, or the default index's build.
  index_args=()
  if [ -n "${GENLOOM_TORCH_INDEX:-}" ]; then
    index_args=(--index-url "$GENLOOM_TORCH_INDEX")
  fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "genloom setup: NVIDIA GPU found, installing torch $torch_version (CUDA build)"
  else
    echo "genloom setup: no NVIDIA GPU, installing torch $torch_version (CPU build where the index has one)"
  fi
  "${pip[@]}" install "torch==$torch_version" "${index_args[@]}"
fi

echo "genloom setup: installing genloom and its dependencies"
"${pip[@]}" install -e ".[$extras]"
# Without its dependencies: it requires opencv-python (the GUI build), whose cv2 would
# replace opencv-python-headless's; what it needs at run time is in pyproject.toml.
"${pip[@]}" install --no-deps "invisible-watermark==0.2.0"
check_qt
compile_sources
echo "$want" > "$stamp"
echo "genloom setup: done (.venv)"
