#!/usr/bin/env bash
# Checks on minimal Debian roots (fresh-root.sh makes them), each a clean
# clone of this repository with nothing installed but Debian's minbase:
#
#   fresh-debian.sh [--check first-commands] (default)
#     Debian 12: examples/quickstart.sh, the first command ever run there,
#     must write 5 thumbnails, thumbs.json and scores.png; then tests/run.sh
#     must end "N passed, 0 failed" with nothing skipped; then, with every
#     GStreamer plugin set a user may have (good, bad, ugly, libav) added,
#     the element and e2e suites again (more plugins mean more registry,
#     more quarks, other decoders picked by decodebin).
#   fresh-debian.sh --check gst-current
#     Debian 13 (GStreamer 1.26, with the GstAnalytics library): tests/run.sh
#     --suite element, which then includes element-analytics, must pass.
#   fresh-debian.sh --check package
#     Debian 12: the .debs built by dpkg-buildpackage -us -uc -b in one root,
#     installed with apt-get into another (no build tree there): then
#     gst-inspect-1.0 ilgnet with no GST_PLUGIN_PATH,
#     examples/quickstart.sh --installed, pkg-config gstreamer-ilgnet-1.0
#     and Python's GstIlgnet typelib must work.
#   --keep leaves the roots behind for a look.
#
# Needs root and the Debian mirror apt already uses.  Logs go to the cache
# folder (fresh-root.sh) and are named in every failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/fresh/fresh-root.sh
. "$here/fresh-root.sh"
check=first-commands
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=$2; shift 2 ;;
    --keep) fresh_keep=1; shift ;;
    *) echo "usage: fresh-debian.sh [--check first-commands|gst-current|package] [--keep]" >&2
       exit 2 ;;
  esac
done
fresh_init

# The quickstart's outputs, exactly 5 thumbnails.
check_quickstart_out() {   # check_quickstart_out DIR
  local f
  for f in thumb-01.jpg thumb-02.jpg thumb-03.jpg thumb-04.jpg thumb-05.jpg \
      thumbs.json scores.png; do
    [ -s "$1/$f" ] || fresh_die "the quickstart did not write $f"
  done
  [ ! -e "$1/thumb-06.jpg" ] || fresh_die "the quickstart wrote more than 5 thumbnails"
}

first_commands() {
  local start qs_time suite_time rc=0 log=$fresh_cache/quickstart.log
  fresh_new_root bookworm
  fresh_clone "$top"
  fresh_say "examples/quickstart.sh, the first command in the root"
  start=$(date +%s)
  fresh_run "examples/quickstart.sh" >"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; fresh_die "examples/quickstart.sh failed (log: $log)"; }
  qs_time=$(($(date +%s) - start))
  check_quickstart_out "$fresh_root/root/gst-ilgnet/ilgnet-quickstart/thumbs"
  fresh_say "quickstart: 5 thumbnails, thumbs.json, scores.png in $qs_time s"

  log=$fresh_cache/run.log
  fresh_say "tests/run.sh"
  start=$(date +%s)
  # The fuzz step short (10 s a harness): the fuzzers are the same here.
  fresh_run "ILGNET_FUZZ_SECONDS=10 tests/run.sh" >"$log" 2>&1 || rc=$?
  suite_time=$(($(date +%s) - start))
  fresh_check_run "$rc" "$log" "tests/run.sh in the fresh root"
  echo "fresh Debian 12 root: quickstart $qs_time s, then tests/run.sh $suite_time s: $(tail -n 1 "$log")"

  log=$fresh_cache/full-plugins.log
  fresh_say "adding plugins good, bad, ugly, libav; tests/run.sh --suite element --suite e2e"
  rc=0
  fresh_run "export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq \
      gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
      gstreamer1.0-plugins-ugly gstreamer1.0-libav &&
    tests/run.sh --suite element --suite e2e" >"$log" 2>&1 || rc=$?
  fresh_check_run "$rc" "$log" "the element and e2e suites with all plugin sets"
  echo "with plugins good, bad, ugly, libav: element and e2e suites $(tail -n 1 "$log")"
}

gst_current() {
  local rc=0 log=$fresh_cache/gst-current.log version
  fresh_new_root trixie
  fresh_clone "$top"
  fresh_say "tests/run.sh --suite element on Debian 13"
  fresh_run "tests/run.sh --suite element" >"$log" 2>&1 || rc=$?
  fresh_check_run "$rc" "$log" "tests/run.sh --suite element on Debian 13"
  grep -qE "element-analytics +OK" "$log" ||
    fresh_die "element-analytics did not run on Debian 13 (log: $log)"
  version=$(fresh_run "pkg-config --modversion gstreamer-analytics-1.0")
  echo "Debian 13 root, GStreamer analytics $version: element suite $(tail -n 1 "$log"), element-analytics OK"
}

package() {
  local log=$fresh_cache/package-build.log debs=$fresh_cache/debs-out
  rm -rf "$debs"
  mkdir -p "$debs"
  fresh_new_root bookworm
  fresh_clone "$top"
  fresh_say "dpkg-buildpackage -us -uc -b in a build root"
  fresh_run "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends dpkg-dev debhelper &&
    apt-get build-dep -y -qq --no-install-recommends ./ &&
    dpkg-buildpackage -us -uc -b" >"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; fresh_die "the package build failed (log: $log)"; }
  cp "$fresh_root"/root/*.deb "$debs/"
  ls "$debs"/gstreamer1.0-ilgnet_*.deb "$debs"/libgstilgnet-dev_*.deb >/dev/null ||
    fresh_die "dpkg-buildpackage did not make both packages: $(ls "$debs")"

  log=$fresh_cache/package-install.log
  fresh_new_root bookworm
  fresh_clone "$top"     # for examples/quickstart.sh only: nothing is built
  mkdir -p "$fresh_root/root/debs"
  cp "$debs"/*.deb "$fresh_root/root/debs/"
  fresh_say "installing the packages in a fresh root"
  fresh_run "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
    apt-get install -y -qq /root/debs/*.deb &&
    gst-inspect-1.0 ilgnet | grep -E '^ *(Filename|Version)' &&
    [ ! -e build ] && examples/quickstart.sh --installed && [ ! -e build ] &&
    pkg-config --modversion gstreamer-ilgnet-1.0 &&
    apt-get install -y -qq python3-gi && python3 -c 'import gi
gi.require_version(\"GstIlgnet\", \"1.0\")
from gi.repository import GstIlgnet
print(\"typelib GstIlgnet-1.0:\", GstIlgnet.buffer_get_ilgnet_meta)'" >"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; fresh_die "the installed package does not work (log: $log)"; }
  check_quickstart_out "$fresh_root/root/gst-ilgnet/ilgnet-quickstart/thumbs"
  echo "packages $(cd "$debs" && echo *.deb): installed on a fresh Debian 12 root," \
    "gst-inspect-1.0 ilgnet and examples/quickstart.sh --installed work"
}

case $check in
  first-commands) first_commands ;;
  gst-current) gst_current ;;
  package) package ;;
  *) fresh_die "unknown check $check" ;;
esac
