#!/usr/bin/env bash
# Installs the Debian packages gst-ilgnet needs (only those missing), then
# configures and builds the tree into BUILD_DIR (default: build).
# Used by examples/quickstart.sh and tests/run.sh so that each works on a
# fresh Debian 12 machine.  Usage: setup-build.sh [BUILD_DIR] [--tests]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
want_tests=0
[ "${2:-}" = "--tests" ] && want_tests=1

pkgs=(meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libjson-glib-dev libopenblas-dev liborc-0.4-dev liborc-0.4-dev-bin
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav
  python3 python3-numpy)
if [ $want_tests = 1 ]; then
  pkgs+=(python3-opencv python3-torch python3-torchvision valgrind)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# $ILGNET_MESON_ARGS: extra `meson setup` options for a new build dir
# (tests/run.sh --sanitize passes the sanitizers).
if [ ! -f "$build/build.ninja" ]; then
  # shellcheck disable=SC2086
  meson setup "$build" "$top" ${ILGNET_MESON_ARGS:-} >&2
fi
ninja -C "$build" -j "$(nproc)" >&2
