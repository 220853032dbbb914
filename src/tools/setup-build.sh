#!/usr/bin/env bash
# Installs the Debian packages gst-ilgnet needs (only those missing), then
# configures and builds the tree into BUILD_DIR (default: build).
# Used by examples/quickstart.sh and tests/run.sh so that each works on a
# fresh Debian 12 machine.  Usage: setup-build.sh [BUILD_DIR] [--tests]
# Without --tests the tree is configured with -Dtests=disabled: the main job
# builds and installs only the product (library, element, tools, examples)
# and needs none of the test suite's packages.
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
  python3
  # examples/tagging/tag-folder.sh runs its jobs under GNU parallel.
  parallel)
tests=disabled
introspection=auto
if [ $want_tests = 1 ]; then
  tests=enabled
  pkgs+=(python3-numpy python3-opencv python3-torch python3-torchvision valgrind
    strace)
  # x264enc: e2e-thumbs-fast makes an H.264 clip (as does
  # examples/thumbnails/bench-thumbs.sh).
  pkgs+=(gstreamer1.0-plugins-ugly)
  # Python through GObject introspection (examples/python, e2e-python): the
  # GIR is built (introspection=enabled) and read by PyGObject.
  pkgs+=(gobject-introspection libgirepository1.0-dev python3-gi
    gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0)
  introspection=enabled
fi

# Installs those of the named packages that are missing.
install_missing() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
install_missing "${pkgs[@]}"
# From GStreamer 1.24 on, the element also writes GStreamer's own analytics
# meta, and the tests read it back (its library is in plugins-bad's -dev).
if [ $want_tests = 1 ] && pkg-config --atleast-version=1.24 gstreamer-1.0; then
  install_missing libgstreamer-plugins-bad1.0-dev
fi

opts=(-Dtests=$tests -Dintrospection=$introspection)
# $ILGNET_MESON_ARGS: extra `meson setup` options for a new build dir
# (tests/run.sh --sanitize passes the sanitizers).
if [ ! -f "$build/build.ninja" ]; then
  # shellcheck disable=SC2086
  meson setup "$build" "$top" "${opts[@]}" ${ILGNET_MESON_ARGS:-} >&2
elif ! grep -q "\"name\": \"tests\", \"value\": \"$tests\"" \
    "$build/meson-info/intro-buildoptions.json" 2>/dev/null ||
  ! grep -q "\"name\": \"introspection\", \"value\": \"$introspection\"" \
    "$build/meson-info/intro-buildoptions.json" 2>/dev/null; then
  meson setup --reconfigure "$build" "$top" "${opts[@]}" >&2
fi
ninja -C "$build" -j "$(nproc)" >&2
