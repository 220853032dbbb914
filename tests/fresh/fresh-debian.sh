#!/usr/bin/env bash
# The stranger's first ten minutes, checked: a minimal Debian root made with
# `debootstrap --variant=minbase`, a clean clone of this repository copied
# into it, and inside it, as the first commands ever run there,
#   1. examples/quickstart.sh   -> 5 thumbnails, thumbs.json, scores.png;
#   2. tests/run.sh             -> "N passed, 0 failed", nothing skipped.
# Each command must install what it needs by itself: the root starts with
# nothing but Debian's minbase.  Fails on a non-zero exit, a missing output,
# a skipped test or any other closing line.
#
#   fresh-debian.sh [--suite bookworm] [--keep]
#
# Needs root (debootstrap, chroot, mounts) and the network to the Debian
# mirror that apt already uses here (its sources are copied into the root).
# The pristine root is cached as a tarball in ILGNET_FRESH_CACHE (default
# /var/cache/gst-ilgnet-fresh, outside the repository) with the .deb files
# downloaded so far, so a second run skips debootstrap and most downloads;
# every run still starts from the pristine root and installs everything.
# /proc, /sys and /dev (with /dev/pts) are mounted into the root as slaves
# and unmounted on every exit path; the root is deleted only when nothing is
# mounted in it any more.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
suite=bookworm
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --suite) suite=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: fresh-debian.sh [--suite SUITE] [--keep]" >&2; exit 2 ;;
  esac
done
say() { echo "fresh: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 ||
    { apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2; } ||
    die "cannot install debootstrap"
fi
command -v git >/dev/null || die "needs git to make a clean clone"

# The mirror apt already uses (deb822 sources, else sources.list).
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/* *$/\1/p' \
  /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb *\(\[[^]]*\] *\)\?\(http[^ ]*\/debian\)\/* .*/\2/p' \
  /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list(.d)"

cache=${ILGNET_FRESH_CACHE:-/var/cache/gst-ilgnet-fresh}
tarball=$cache/$suite-minbase.tar
archives=$cache/$suite-debs
mkdir -p "$cache" "$archives/partial"
root=$(mktemp -d "$cache/root.XXXXXX")
mounted=()

# Unmounts, newest first, then deletes the root unless something is still
# mounted under it (then it is left for a human, with a message).
cleanup() {
  local rc=$? i p
  # Processes still running in the root (a timeout, an interrupt) would keep
  # its mounts busy.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" 2>/dev/null || true
  done
  if grep -q " $root[/ ]" /proc/mounts || grep -q " $root\$" /proc/mounts; then
    say "something is still mounted under $root; not deleting it"
  elif [ $keep = 1 ]; then
    say "kept $root"
  else
    rm -rf --one-file-system "$root"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -s "$tarball" ]; then
  say "debootstrap --variant=minbase $suite from $mirror (cached afterwards)"
  start=$(date +%s)
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    die "debootstrap failed (see $cache/debootstrap.log)"
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  say "debootstrap took $(( $(date +%s) - start )) s"
else
  tar -C "$root" -xf "$tarball"
fi

# The same mirror and apt settings as this machine; DNS.
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
  echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
grep -l '^Acquire::' /etc/apt/apt.conf.d/* 2>/dev/null | while read -r f; do
  cp "$f" "$root/etc/apt/apt.conf.d/"
done
rm -f "$root/etc/apt/apt.conf.d/docker-clean"   # keep downloaded .debs for the cache
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

# A clean clone: what is committed, nothing of this checkout's build trees.
say "cloning $(git -C "$top" rev-parse --short HEAD) into the root"
git clone -q --no-hardlinks "$top" "$root/root/gst-ilgnet"

bind() {   # bind SRC DEST [rbind]: mounted, made a slave, remembered
  mkdir -p "$2"
  if [ "${3:-}" = rbind ]; then mount --rbind "$1" "$2"; else mount --bind "$1" "$2"; fi
  mounted+=("$2")
  mount --make-rslave "$2"
}
mount -t proc proc "$root/proc"; mounted+=("$root/proc")
mount -t sysfs -o ro sysfs "$root/sys"; mounted+=("$root/sys")
bind /dev "$root/dev" rbind
bind "$archives" "$root/var/cache/apt/archives"

# Only what a stranger's shell has (plus the processor facts OpenBLAS needs
# on this machine, see the env notes: they describe the CPU, not the set-up).
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE} \
    ${OPENBLAS_L2_SIZE:+OPENBLAS_L2_SIZE=$OPENBLAS_L2_SIZE} \
    /bin/bash -c "cd /root/gst-ilgnet && $1"
}

say "1/2 examples/quickstart.sh (first command in the root)"
start=$(date +%s)
in_root "examples/quickstart.sh" >"$cache/quickstart.log" 2>&1 ||
  { tail -n 30 "$cache/quickstart.log" >&2; die "examples/quickstart.sh failed (log: $cache/quickstart.log)"; }
qs_time=$(( $(date +%s) - start ))
out=$root/root/gst-ilgnet/ilgnet-quickstart/thumbs
for f in thumb-01.jpg thumb-02.jpg thumb-03.jpg thumb-04.jpg thumb-05.jpg \
    thumbs.json scores.png; do
  [ -s "$out/$f" ] || die "the quickstart did not write $f"
done
[ ! -e "$out/thumb-06.jpg" ] || die "the quickstart wrote more than 5 thumbnails"
say "quickstart: 5 thumbnails, thumbs.json, scores.png in ${qs_time} s"

say "2/2 tests/run.sh"
start=$(date +%s)
rc=0
in_root "tests/run.sh" >"$cache/run.log" 2>&1 || rc=$?
suite_time=$(( $(date +%s) - start ))
last=$(tail -n 1 "$cache/run.log")
say "tests/run.sh: '$last', exit $rc, ${suite_time} s"
if [ $rc -ne 0 ] || ! [[ $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
  grep -E "^ *[0-9]+/[0-9]+ .*(FAIL|SKIP|TIMEOUT)" "$cache/run.log" >&2 || tail -n 30 "$cache/run.log" >&2
  die "tests/run.sh in the fresh root did not end 'N passed, 0 failed' (log: $cache/run.log)"
fi
echo "fresh $suite root: quickstart ${qs_time} s, tests/run.sh ${suite_time} s ($last)"
