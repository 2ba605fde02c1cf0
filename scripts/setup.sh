#!/usr/bin/env bash
# Sets up everything the IR-QLoRA workbench needs on a fresh Debian/Ubuntu
# machine, idempotently: Debian packages (Qt 6, QCustomPlot, SQLite,
# sentencepiece, nlohmann-json, PCRE2, utf8proc, build tools) and a project-local virtualenv
# (.venv) holding the PyPI torch wheel whose LibTorch the build links against.
#
#   scripts/setup.sh            # packages + venv
#   IRQ_SKIP_APT=1 scripts/setup.sh   # venv only (no root, packages present)
set -euo pipefail

TORCH_VERSION="2.11.0"
CUDA_PIP_VERSION="13.0.88"       # nvcc/nvvm/crt matching the wheel's CUDA 13.0 runtime
CUDA_CCCL_PIP_VERSION="13.0.85"  # CUDA 13.0's CCCL headers (cub, libcu++, nv/target)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${IRQ_VENV:-$root/.venv}"

log() { printf '[setup] %s\n' "$*" >&2; }

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  python3 python3-venv python3-dev python3-numpy
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libsqlite3-dev sqlite3 libsentencepiece-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev
  xvfb xauth xdotool x11-apps
)

install_apt() {
  if [ "${IRQ_SKIP_APT:-0}" = 1 ]; then log "IRQ_SKIP_APT=1: not installing Debian packages"; return; fi
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "Debian packages present"; return; fi
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_venv() {
  if [ ! -x "$venv/bin/python" ]; then
    log "creating virtualenv $venv"
    /usr/bin/python3 -m venv "$venv"
  fi
  if "$venv/bin/python" -c "import torch,sys; sys.exit(0 if torch.__version__.split('+')[0]=='$TORCH_VERSION' else 1)" 2>/dev/null; then
    log "torch $TORCH_VERSION present in $venv"
  else
    log "installing torch==$TORCH_VERSION into $venv (large download, once)"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "torch==$TORCH_VERSION" numpy
  fi
  "$venv/bin/python" -c "import numpy" 2>/dev/null || "$venv/bin/pip" install --quiet numpy
}

# The torch wheel is the CUDA 13 build; its CMake config needs a CUDA toolkit
# even where no GPU will run. Without a system nvcc, take nvcc and its
# compiler pieces from PyPI (the versions of the wheel's CUDA runtime) into
# the venv, with the link-time names the toolkit layout has (CMakeLists.txt
# points CMake there).
install_pip_cuda() {
  if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then log "system CUDA toolkit present"; return; fi
  local cuda
  cuda="$("$venv/bin/python" -c 'import nvidia,os;print(os.path.join(nvidia.__path__[0],"cu13"))')"
  if [ ! -x "$cuda/bin/nvcc" ] || [ ! -d "$cuda/include/cccl" ]; then
    log "no system CUDA toolkit: installing nvcc 13.0 from PyPI into $venv"
    "$venv/bin/pip" install --quiet "nvidia-cuda-nvcc==$CUDA_PIP_VERSION" "nvidia-nvvm==$CUDA_PIP_VERSION" \
      "nvidia-cuda-crt==$CUDA_PIP_VERSION" "nvidia-cuda-cccl==$CUDA_CCCL_PIP_VERSION"
  fi
  for f in "$cuda"/lib/lib*.so.*; do
    local b base
    b="$(basename "$f")"; base="${b%%.so.*}.so"
    [ -e "$cuda/lib/$base" ] || ln -s "$b" "$cuda/lib/$base"
  done
  [ -e "$cuda/lib64" ] || ln -s lib "$cuda/lib64"
}

install_apt
install_venv
install_pip_cuda
log "done: LibTorch at $("$venv/bin/python" -c 'import torch;print(torch.utils.cmake_prefix_path)')"
