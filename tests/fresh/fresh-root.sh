# Minimal Debian roots for the fresh-machine checks (sourced by
# fresh-debian.sh; bash).  A root is `debootstrap --variant=minbase SUITE`
# from the Debian mirror apt already uses here, kept pristine as a tarball in
# ILGNET_FRESH_CACHE (default /var/cache/gst-ilgnet-fresh, outside the
# repository) together with the .deb files downloaded so far, so that later
# runs skip debootstrap and most downloads while every run still starts from
# the pristine root and installs everything itself.
#
# /proc, /sys and /dev (with /dev/pts: the tests open ptys) are mounted into
# a root as slaves and unmounted on every exit path; a root is deleted only
# when nothing is mounted under it any more (rm --one-file-system).

fresh_say() { echo "fresh: $*" >&2; }
fresh_die() { fresh_say "FAIL: $*"; exit 1; }

fresh_roots=()
fresh_mounts=()
fresh_keep=0

# Ends what still runs in our roots, unmounts (newest first), deletes.
fresh_cleanup() {
  local rc=$? i p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    for i in "${fresh_roots[@]}"; do
      [ "$r" = "$i" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
  done
  for ((i = ${#fresh_mounts[@]} - 1; i >= 0; i--)); do
    umount -R "${fresh_mounts[i]}" 2>/dev/null ||
      umount -R -l "${fresh_mounts[i]}" 2>/dev/null || true
  done
  for r in "${fresh_roots[@]}"; do
    if grep -qE " $r(/| )" /proc/mounts; then
      fresh_say "something is still mounted under $r; not deleting it"
    elif [ "$fresh_keep" = 1 ]; then
      fresh_say "kept $r"
    else
      rm -rf --one-file-system "$r"
    fi
  done
  exit "$rc"
}

# Checks what the host must have; sets fresh_mirror and fresh_cache.
fresh_init() {
  [ "$(id -u)" = 0 ] || fresh_die "needs root (debootstrap, chroot and mounts)"
  if ! command -v debootstrap >/dev/null; then
    fresh_say "installing debootstrap"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap ||
      { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }; } >&2 ||
      fresh_die "cannot install debootstrap"
  fi
  command -v git >/dev/null || fresh_die "needs git to make a clean clone"
  fresh_mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/* *$/\1/p' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [ -n "$fresh_mirror" ] || fresh_mirror=$(sed -n \
    's/^deb *\(\[[^]]*\] *\)\?\(http[^ ]*\/debian\)\/* .*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -n 1)
  [ -n "$fresh_mirror" ] || fresh_die "no Debian mirror in /etc/apt/sources.list(.d)"
  fresh_cache=${ILGNET_FRESH_CACHE:-/var/cache/gst-ilgnet-fresh}
  mkdir -p "$fresh_cache"
  trap fresh_cleanup EXIT
  trap 'exit 130' INT TERM
}

fresh_mount() {   # fresh_mount TYPE|--bind|--rbind SRC DEST
  mkdir -p "$3"
  case $1 in
    --bind | --rbind) mount "$1" "$2" "$3" ;;
    *) mount -t "$1" -o "${FRESH_MOUNT_OPTS:-rw}" "$2" "$3" ;;
  esac
  fresh_mounts+=("$3")
  mount --make-rslave "$3"
}

# Makes a pristine SUITE root with the host's mirror and apt settings and
# the mounts; sets fresh_root.
fresh_new_root() {
  local suite=$1 tarball=$fresh_cache/$1-minbase.tar start f
  local debs=$fresh_cache/$1-debs
  mkdir -p "$debs/partial"
  fresh_root=$(mktemp -d "$fresh_cache/root-$suite.XXXXXX")
  fresh_roots+=("$fresh_root")
  if [ ! -s "$tarball" ]; then
    fresh_say "debootstrap --variant=minbase $suite from $fresh_mirror (cached afterwards)"
    start=$(date +%s)
    debootstrap --variant=minbase "$suite" "$fresh_root" "$fresh_mirror" \
      >"$fresh_cache/debootstrap-$suite.log" 2>&1 ||
      fresh_die "debootstrap failed (see $fresh_cache/debootstrap-$suite.log)"
    tar -C "$fresh_root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    fresh_say "debootstrap $suite took $(($(date +%s) - start)) s"
  else
    tar -C "$fresh_root" -xf "$tarball"
  fi
  # The host's sources for this suite (the same mirror and security
  # archive), its apt acquisition settings, DNS.
  rm -f "$fresh_root/etc/apt/sources.list"
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    for f in /etc/apt/sources.list.d/*.sources; do
      sed "s/\bbookworm\b/$suite/g" "$f" >"$fresh_root/etc/apt/sources.list.d/${f##*/}"
    done
  else
    echo "deb $fresh_mirror $suite main" >"$fresh_root/etc/apt/sources.list"
  fi
  for f in $(grep -l '^Acquire::' /etc/apt/apt.conf.d/* 2>/dev/null); do
    cp "$f" "$fresh_root/etc/apt/apt.conf.d/"
  done
  rm -f "$fresh_root/etc/apt/apt.conf.d/docker-clean"  # keep .debs for the cache
  cp -L /etc/resolv.conf "$fresh_root/etc/resolv.conf"
  fresh_mount proc proc "$fresh_root/proc"
  FRESH_MOUNT_OPTS=ro fresh_mount sysfs sysfs "$fresh_root/sys"
  fresh_mount --rbind /dev "$fresh_root/dev"
  fresh_mount --bind "$debs" "$fresh_root/var/cache/apt/archives"
}

# A clean clone of the repository at TOP (what is committed, none of this
# checkout's build trees) as /root/gst-ilgnet of the root.
fresh_clone() {
  fresh_say "cloning $(git -C "$1" rev-parse --short HEAD) into $fresh_root"
  git clone -q --no-hardlinks "$1" "$fresh_root/root/gst-ilgnet"
}

# Runs a bash command line in the root, in /root/gst-ilgnet when it exists,
# with only what a stranger's shell has (plus the processor facts OpenBLAS
# needs on this machine: they describe the CPU, not the set-up).
fresh_run() {
  chroot "$fresh_root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    ${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE} \
    ${OPENBLAS_L2_SIZE:+OPENBLAS_L2_SIZE=$OPENBLAS_L2_SIZE} \
    /bin/bash -c "cd /root/gst-ilgnet 2>/dev/null || cd /root; $1"
}

# Checks a tests/run.sh log: exit 0 and the closing line "N passed, 0
# failed" (a skipped test changes the line, so it fails too).
fresh_check_run() {   # fresh_check_run RC LOG WHAT
  local last
  last=$(tail -n 1 "$2")
  if [ "$1" -ne 0 ] || ! [[ $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
    grep -E "^ *[0-9]+/[0-9]+ .*(FAIL|SKIP|TIMEOUT)" "$2" >&2 || tail -n 30 "$2" >&2
    fresh_die "$3 did not end 'N passed, 0 failed' but '$last', exit $1 (log: $2)"
  fi
}
