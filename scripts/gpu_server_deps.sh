#!/usr/bin/env bash
# Gathers the engine's non-Python build dependencies (headers, libraries and
# pkg-config files of PCRE2, utf8proc, sentencepiece, SQLite, nlohmann-json)
# from Debian's packages into one relocatable folder, for a GPU server that
# has cmake, a compiler and torch but neither these -dev packages nor
# network access. Run it where Debian's packages are reachable, copy the
# folder over, then on the server:
#   PKG_CONFIG_PATH=$DEPS/lib/pkgconfig cmake -S . -B build -G Ninja -DIRQ_BUILD_GUI=OFF \
#     -DCMAKE_PREFIX_PATH=$DEPS -DIRQ_PYTHON=$(which python3)
#   LD_LIBRARY_PATH=$DEPS/lib build/bin/irqlora ...
#
#   scripts/gpu_server_deps.sh [OUT_DIR]      (default: build/gpu-deps)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/build/gpu-deps}" && cd "${1:-$root/build/gpu-deps}" && pwd)"
packages=(libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libutf8proc-dev libutf8proc2
          libsentencepiece-dev libsentencepiece0 libsqlite3-dev libsqlite3-0 nlohmann-json3-dev
          libprotobuf-lite32 libprotobuf32)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
arch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
mkdir -p "$out/include" "$out/lib/pkgconfig" "$out/share"
cp -a "$work/root/usr/include/." "$out/include/"
cp -a "$work/root/usr/lib/$arch/." "$out/lib/"
[ -d "$work/root/usr/share/pkgconfig" ] && cp -a "$work/root/usr/share/pkgconfig/." "$out/lib/pkgconfig/"
[ -d "$work/root/usr/share/cmake" ] && cp -a "$work/root/usr/share/cmake" "$out/share/"
[ -d "$work/root/usr/lib/cmake" ] && cp -a "$work/root/usr/lib/cmake" "$out/lib/"
# The .pc files name /usr: point them at this folder, wherever it is copied.
for pc in "$out"/lib/pkgconfig/*.pc; do
  sed -i -e "s|^prefix=.*|prefix=\${pcfiledir}/../..|" -e "s|^libdir=.*|libdir=\${prefix}/lib|" \
         -e "s|^includedir=.*|includedir=\${prefix}/include|" "$pc"
done
echo "$out"
