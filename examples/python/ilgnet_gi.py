"""GStreamer and GstIlgnet for the Python examples: imports Gst and the meta
library's typelib (GstIlgnet-1.0), and reads the `ilgnet` element's bus
messages as plain dicts.

Like ../plugin-env.sh, a script in a checkout uses that checkout's build
(ILGNET_BUILD_DIR, else build/, else build-tests/): its plugin, its typelib
and the meta library the typelib names.  With no build beside it (an
installed copy), GStreamer and GObject introspection find the installed
ones.
"""
import os
import sys

import gi

gi.require_version("GIRepository", "2.0")
from gi.repository import GIRepository  # noqa: E402


def _build_dir():
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    for d in (os.environ.get("ILGNET_BUILD_DIR"), "build", "build-tests"):
        if not d:
            continue
        d = os.path.join(top, d)
        if os.path.exists(os.path.join(d, "gst-plugin", "libgstilgnet.so")):
            return os.path.join(d, "gst-plugin")
    return None


_plugin_dir = _build_dir()
# The meta library and its typelib, in the build tree as in the source tree
_meta_dir = _plugin_dir and os.path.join(_plugin_dir, "gst-libs", "gst",
                                         "ilgnet")
if _plugin_dir:
    # Before Gst.init(): the registry is scanned then.  GST_PLUGIN_PATH_1_0,
    # when set, is the caller's explicit choice (GStreamer ignores
    # GST_PLUGIN_PATH then), so it is left alone.
    os.environ["GST_PLUGIN_PATH"] = os.pathsep.join(
        p for p in (_plugin_dir, os.environ.get("GST_PLUGIN_PATH")) if p)
    # GI_TYPELIB_PATH, when set, is the caller's explicit choice too.
    if os.path.exists(os.path.join(_meta_dir, "GstIlgnet-1.0.typelib")) \
            and not os.environ.get("GI_TYPELIB_PATH"):
        # Both before the typelib is loaded: it names the library by soname
        # only, and dlopen() would otherwise find an installed copy or none.
        GIRepository.Repository.prepend_search_path(_meta_dir)
        GIRepository.Repository.prepend_library_path(_meta_dir)

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402,F401

try:
    gi.require_version("GstIlgnet", "1.0")
    from gi.repository import GstIlgnet  # noqa: E402,F401
except (ValueError, ImportError):
    GstIlgnet = None

Gst.init(None)


def need_meta_typelib(prog):
    """Exits with a one-line error when GstIlgnet-1.0.typelib is missing."""
    if GstIlgnet is None:
        sys.exit("%s: GstIlgnet-1.0.typelib not found: build with "
                 "gobject-introspection (libgirepository1.0-dev) installed, "
                 "or set GI_TYPELIB_PATH" % prog)


def need_element(prog):
    """Exits with a one-line error when the ilgnet element is missing."""
    if Gst.ElementFactory.find("ilgnet") is None:
        sys.exit("%s: no GStreamer element 'ilgnet': build the plugin "
                 "(examples/quickstart.sh) or set GST_PLUGIN_PATH" % prog)


def clock_time(t):
    """A GstClockTime as seconds, None for GST_CLOCK_TIME_NONE."""
    return None if t is None or t == Gst.CLOCK_TIME_NONE else t / Gst.SECOND


def message_result(msg):
    """The fields of an `ilgnet` element message as a dict, else None.

    Names as in the structure (`score`, `frame`, `model`, `timestamp`,
    `stream-time`, `running-time`, `duration`; with crop=multi `crop-x`,
    `crop-y`, `crop-width`, `crop-height`, `frame-score`, `keep-framing`,
    `crop-zoom`, `crop-offset-x`, `crop-offset-y`),
    GST_CLOCK_TIME_NONE as None, plus `time`: the stream time in seconds
    (what a player shows; the PTS when there is none), as in the score
    files.
    """
    if msg.type != Gst.MessageType.ELEMENT:
        return None
    s = msg.get_structure()
    if s is None or s.get_name() != "ilgnet":
        return None
    r = {}
    for i in range(s.n_fields()):
        name = s.nth_field_name(i)
        v = s.get_value(name)
        if name in ("timestamp", "stream-time", "running-time", "duration") \
                and v == Gst.CLOCK_TIME_NONE:
            v = None
        r[name] = v
    t = r.get("stream-time")
    if t is None:
        t = r.get("timestamp")
    r["time"] = None if t is None else t / Gst.SECOND
    return r


def video_uri(arg):
    """A URI for a command-line argument: a URI as is, else a file path."""
    if Gst.uri_is_valid(arg):
        return arg
    if not os.path.exists(arg):
        raise FileNotFoundError("%s: no such file" % arg)
    return Gst.filename_to_uri(os.path.abspath(arg))


def run(pipeline, on_message=None):
    """Plays `pipeline` to its end; calls on_message(msg) for each bus
    message.  Returns None, or the first error as one line."""
    bus = pipeline.get_bus()
    error = None
    try:
        if pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            error = "the pipeline cannot start"
        while error is None:
            # A bounded wait: Python runs its signal handlers (Ctrl-C)
            # between two waits, not during one.
            msg = bus.timed_pop(100 * Gst.MSECOND)
            if msg is None:
                continue
            if on_message:
                on_message(msg)
            if msg.type == Gst.MessageType.EOS:
                break
            if msg.type == Gst.MessageType.ERROR:
                err, _ = msg.parse_error()
                error = err.message
    finally:
        pipeline.set_state(Gst.State.NULL)
    return error
