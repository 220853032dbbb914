#!/usr/bin/env bash
# `meson install --destdir D` of the build tree, then the installed copy used
# from D as the README says, with only GST_PLUGIN_PATH, PATH and
# LD_LIBRARY_PATH pointing into it:
#   - gst-inspect-1.0 finds the element in D's plugin;
#   - ilgnet-score scores a photo with D's model (strace shows which file);
#   - ilgnet-thumbs writes 5 thumbnails of a clip, with D's plugin and model;
#   - pkg-config finds gstreamer-ilgnet-1.0 in D, and a program built with
#     its flags reads the meta type.
#   test-install.sh BUILD_DIR CLIP
# D is a temporary directory outside the build tree (code inside a build
# tree takes the source tree's model, by design), removed afterwards.
set -euo pipefail
build=$1
clip=$(realpath "$2")
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ilgnet-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
D=$work/destdir

meson install -C "$build" --no-rebuild --quiet --destdir "$D" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "meson install --destdir failed"; }
read -r pfx libdir < <(/usr/bin/python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(
    open(os.path.join(sys.argv[1], "meson-info", "intro-buildoptions.json")))}
print(o["prefix"], os.path.join(o["prefix"], o["libdir"]))' "$build")
P=$D$pfx L=$D$libdir
for f in "$L/gstreamer-1.0/libgstilgnet.so" "$P/bin/ilgnet-score" \
    "$P/bin/ilgnet-thumbs" "$P/share/ilgnet/default.ilgnet" \
    "$L/pkgconfig/gstreamer-ilgnet-1.0.pc" \
    "$P/include/gstreamer-1.0/gst/ilgnet/gstilgnetmeta.h"; do
  [ -e "$f" ] || fail "not installed: ${f#$D}"
done
echo "installed into $D$pfx"

# The README's three lines, nothing else from the build tree.
export GST_PLUGIN_PATH=$L/gstreamer-1.0
export PATH=$P/bin:$PATH
export LD_LIBRARY_PATH=$L
export GST_REGISTRY_1_0=$work/registry.bin
unset GST_PLUGIN_PATH_1_0 ILGNET_MODEL

gst-inspect-1.0 ilgnet >"$work/inspect.txt" 2>&1 || fail "gst-inspect-1.0 ilgnet: $(head -n 3 "$work/inspect.txt")"
grep -q "Filename *$L/gstreamer-1.0/libgstilgnet.so" "$work/inspect.txt" ||
  fail "gst-inspect-1.0 ilgnet did not load the installed plugin: $(grep Filename "$work/inspect.txt")"
echo "gst-inspect-1.0 ilgnet: the installed plugin"

# Which model each program opens: the installed one, never the source tree's.
opened_model() {   # opened_model LOG: the .ilgnet files a traced run opened
  grep -o 'openat([^"]*"[^"]*\.ilgnet"' "$1" | sed 's/.*"\(.*\)"/\1/' | sort -u
}
gst-launch-1.0 -q videotestsrc num-buffers=1 pattern=smpte ! video/x-raw,width=320,height=240 ! \
  jpegenc ! filesink location="$work/photo.jpg"
strace -f -qq -e trace=openat -o "$work/score.strace" \
  ilgnet-score "$work/photo.jpg" >"$work/score.json" 2>"$work/score.err" ||
  fail "installed ilgnet-score: $(cat "$work/score.err")"
/usr/bin/python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).readline())["score"]; assert 0 <= s <= 1, s' \
  "$work/score.json" || fail "ilgnet-score printed $(cat "$work/score.json")"
m=$(opened_model "$work/score.strace")
[ "$m" = "$P/share/ilgnet/default.ilgnet" ] || fail "installed ilgnet-score opened model(s) '$m'"
echo "ilgnet-score: $(cat "$work/score.json") with $m"

(cd "$work" && strace -f -qq -e trace=openat -o "$work/thumbs.strace" \
  ilgnet-thumbs "$clip" -o "$work/thumbs" --progress never >"$work/thumbs.log" 2>&1) ||
  fail "installed ilgnet-thumbs: $(tail -n 3 "$work/thumbs.log")"
n=$(ls "$work/thumbs"/thumb-*.jpg | wc -l)
[ "$n" = 5 ] || fail "installed ilgnet-thumbs wrote $n thumbnails"
grep -q "openat(.*\"$L/gstreamer-1.0/libgstilgnet.so\"" "$work/thumbs.strace" ||
  fail "installed ilgnet-thumbs did not load the installed plugin"
m=$(opened_model "$work/thumbs.strace")
[ "$m" = "$P/share/ilgnet/default.ilgnet" ] || fail "installed ilgnet-thumbs opened model(s) '$m'"
echo "ilgnet-thumbs: 5 thumbnails with the installed plugin and $m"

export PKG_CONFIG_PATH=$L/pkgconfig
pkg-config --exists gstreamer-ilgnet-1.0 || fail "pkg-config does not find gstreamer-ilgnet-1.0"
cat >"$work/meta.c" <<'C'
#include <gst/ilgnet/gstilgnetmeta.h>
int main (void) {
  gst_init (NULL, NULL);
  GstBuffer *b = gst_buffer_new ();
  gst_buffer_add_ilgnet_meta (b, 0.75f, 0, 3, NULL, "m");
  GstIlgnetMeta *m = gst_buffer_get_ilgnet_meta (b);
  int ok = m && m->score == 0.75f && m->frame == 3;
  gst_buffer_unref (b);
  return ok ? 0 : 1;
}
C
# The .pc file names the final prefix; D stages it (as a package build's
# DESTDIR does), so D is put in front of the include and library dirs.
inc=$(pkg-config --variable=includedir gstreamer-ilgnet-1.0)
[ "$inc" = "$pfx/include" ] || fail "gstreamer-ilgnet-1.0.pc says includedir=$inc"
# shellcheck disable=SC2046 # pkg-config prints several flags
cc -o "$work/meta" "$work/meta.c" -I"$D$inc/gstreamer-1.0" -L"$L" \
    $(pkg-config --cflags --libs gstreamer-ilgnet-1.0) ||
  fail "a program built with pkg-config's gstreamer-ilgnet-1.0 flags does not compile"
"$work/meta" || fail "the installed meta library does not carry a score"
echo "pkg-config gstreamer-ilgnet-1.0: $(pkg-config --modversion gstreamer-ilgnet-1.0), a program using it runs"

# The typelib, when the build made one: Python reads the meta through the
# installed GstIlgnet-1.0.typelib and the installed library it names.
if [ -f "$build/gst-plugin/gst-libs/gst/ilgnet/GstIlgnet-1.0.typelib" ]; then
  [ -f "$L/girepository-1.0/GstIlgnet-1.0.typelib" ] ||
    fail "not installed: ${L#$D}/girepository-1.0/GstIlgnet-1.0.typelib"
  [ -f "$P/share/gir-1.0/GstIlgnet-1.0.gir" ] ||
    fail "not installed: $pfx/share/gir-1.0/GstIlgnet-1.0.gir"
  lib=$(GI_TYPELIB_PATH=$L/girepository-1.0 /usr/bin/python3 -c '
import gi
gi.require_version("Gst", "1.0"); gi.require_version("GstIlgnet", "1.0")
from gi.repository import Gst, GstIlgnet
Gst.init(None)
b = Gst.Buffer.new()
GstIlgnet.buffer_add_ilgnet_meta(b, 0.75, 0, 3, None, "m")
m = GstIlgnet.buffer_get_ilgnet_meta(b)
assert (m.score, m.frame, m.model) == (0.75, 3, "m"), (m.score, m.frame)
print([l.split()[-1] for l in open("/proc/self/maps") if "libgstilgnetmeta" in l][0])
') || fail "Python cannot read the meta through the installed typelib"
  [ "$lib" -ef "$L/libgstilgnetmeta-1.0.so.0" ] ||
    fail "the installed typelib loaded $lib"
  echo "GstIlgnet-1.0.typelib: Python reads the meta through the installed copy"
fi
