#!/usr/bin/env bash
# The uses run from a build tree with nothing exported, as a user who has
# just built would run them: no GST_PLUGIN_PATH(_1_0), no registry of the
# test suite's, a HOME of their own.
#   - BUILD/examples/ilgnet-thumbs loads the plugin built beside it;
#   - examples/framing/framing.sh and examples/tagging/tag-folder.sh find
#     the build tree's plugin (ILGNET_BUILD_DIR, examples/plugin-env.sh);
#   - `meson devenv -C BUILD` gives a shell where gst-inspect-1.0 finds it.
#   test-no-env.sh SOURCE_ROOT BUILD_DIR CLIP
set -euo pipefail
src=$1 build=$2 clip=$(realpath "$3")
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ilgnet-no-env.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A stranger's environment: none of GStreamer's or ours.
clean=(env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH_1_0
  -u GST_REGISTRY -u GST_REGISTRY_1_0 -u ILGNET_MODEL -u ILGNET_BUILD_DIR
  HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache")
mkdir -p "$work/home"

"${clean[@]}" "$build/examples/ilgnet-thumbs" "$clip" -k 3 -o "$work/thumbs" \
  --progress never >"$work/thumbs.log" 2>&1 ||
  fail "ilgnet-thumbs from the build tree: $(tail -n 2 "$work/thumbs.log")"
[ "$(ls "$work/thumbs"/thumb-*.jpg | wc -l)" = 3 ] || fail "ilgnet-thumbs wrote no 3 thumbnails"
echo "ilgnet-thumbs from the build tree: 3 thumbnails, nothing exported"

"${clean[@]}" ILGNET_BUILD_DIR="$build" "$src/examples/framing/framing.sh" \
  headless "$clip" "$work/framing" 1 >"$work/framing.log" 2>&1 ||
  fail "framing.sh: $(tail -n 2 "$work/framing.log")"
[ -s "$work/framing/framing-01.png" ] || fail "framing.sh wrote no screenshot"
echo "framing.sh headless: a screenshot, plugin found through ILGNET_BUILD_DIR"

mkdir -p "$work/videos"
cp "$clip" "$work/videos/"
"${clean[@]}" ILGNET_BUILD_DIR="$build" "$src/examples/tagging/tag-folder.sh" \
  "$work/videos" -o "$work/tags" -j 1 >"$work/tag.log" 2>&1 ||
  fail "tag-folder.sh: $(tail -n 3 "$work/tag.log")"
[ -s "$work/tags/$(basename "${clip%.*}").csv" ] || fail "tag-folder.sh wrote no CSV"
echo "tag-folder.sh: tagged, plugin found through ILGNET_BUILD_DIR"

"${clean[@]}" meson devenv -C "$build" gst-inspect-1.0 ilgnet >"$work/devenv.log" 2>&1 ||
  fail "meson devenv -C BUILD gst-inspect-1.0 ilgnet: $(head -n 2 "$work/devenv.log")"
grep -q "Filename *$(realpath "$build")/gst-plugin/libgstilgnet.so" "$work/devenv.log" ||
  fail "meson devenv did not give the build tree's plugin"
echo "meson devenv: gst-inspect-1.0 finds the build tree's element"
