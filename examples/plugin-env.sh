# Sourced (POSIX sh) by the example scripts in examples/<use>/: points
# GStreamer at the ilgnet plugin of the build tree that belongs to this
# checkout, so a script works right after a build with nothing exported.
# The build tree is ILGNET_BUILD_DIR when set, else build/
# (examples/quickstart.sh's), else build-tests/ (tests/run.sh's).  A script
# with no built tree beside it (an installed copy) uses the installed plugin,
# as GStreamer finds it.  GST_PLUGIN_PATH_1_0, when set, is the caller's
# explicit choice: GStreamer then ignores GST_PLUGIN_PATH.
ilgnet_top=$(cd "$(dirname "$0")/../.." && pwd)
for ilgnet_d in "${ILGNET_BUILD_DIR:-}" "$ilgnet_top/build" "$ilgnet_top/build-tests"; do
  [ -n "$ilgnet_d" ] || continue
  case "$ilgnet_d" in /*) ;; *) ilgnet_d="$ilgnet_top/$ilgnet_d" ;; esac
  if [ -f "$ilgnet_d/gst-plugin/libgstilgnet.so" ]; then
    GST_PLUGIN_PATH="$ilgnet_d/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
    export GST_PLUGIN_PATH
    break
  fi
done
unset ilgnet_top ilgnet_d
