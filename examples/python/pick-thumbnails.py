#!/usr/bin/python3
"""Picks the N best-looking frames of a video as thumbnails (PNG), from the
ilgnet element's bus messages: one pass scores the video, then each picked
frame is grabbed by an accurate seek.  Picks are at least --gap seconds
apart, so that one good shot does not fill every slot.
"""
import argparse
import os
import sys

import ilgnet_gi
from ilgnet_gi import Gst

PROG = "pick-thumbnails.py"


def parse_args():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__)
    ap.add_argument("video", help="video file (or URI)")
    ap.add_argument("-n", "--count", type=int, default=3,
                    help="number of thumbnails (default 3)")
    ap.add_argument("-o", "--outdir", default=".",
                    help="where to write NAME-K.png (default .)")
    ap.add_argument("-i", "--interval", type=float, default=0.5,
                    metavar="SECONDS", help="score one frame every SECONDS "
                    "(default 0.5)")
    ap.add_argument("-g", "--gap", type=float, default=2.0, metavar="SECONDS",
                    help="minimum time between two picks (default 2)")
    ap.add_argument("-m", "--model", help="model file (default: the "
                    "element's default model)")
    a = ap.parse_args()
    if a.count < 1:
        ap.error("--count must be at least 1")
    if a.interval < 0 or a.gap < 0:
        ap.error("--interval and --gap must be >= 0")
    return a


def score(uri, a):
    """Every `ilgnet` message of one pass, as dicts (ilgnet_gi)."""
    pipeline = Gst.parse_launch(
        "uridecodebin name=src caps=video/x-raw expose-all-streams=false "
        "! videoconvert ! ilgnet name=ilgnet mode=sync ! fakesink")
    pipeline.get_by_name("src").set_property("uri", uri)
    ilgnet = pipeline.get_by_name("ilgnet")
    ilgnet.set_property("interval", int(a.interval * Gst.SECOND))
    if a.model:
        ilgnet.set_property("model", a.model)
    results = []

    def on_message(msg):
        r = ilgnet_gi.message_result(msg)
        if r is not None and r["time"] is not None:
            results.append(r)

    return results, ilgnet_gi.run(pipeline, on_message)


def pick(results, count, gap):
    """Best first, each at least `gap` seconds from those already picked."""
    picked = []
    for r in sorted(results, key=lambda r: -r["score"]):
        if all(abs(r["time"] - p["time"]) >= gap for p in picked):
            picked.append(r)
            if len(picked) == count:
                break
    return picked


def grab(uri, seconds):
    """The frame at `seconds` as PNG bytes, or None."""
    pipeline = Gst.parse_launch(
        "uridecodebin name=src caps=video/x-raw expose-all-streams=false "
        "! videoconvert ! pngenc snapshot=false ! appsink name=sink")
    pipeline.get_by_name("src").set_property("uri", uri)
    sink = pipeline.get_by_name("sink")
    data = None
    pipeline.set_state(Gst.State.PAUSED)
    if pipeline.get_state(Gst.CLOCK_TIME_NONE)[0] == \
            Gst.StateChangeReturn.SUCCESS and pipeline.seek_simple(
                Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE,
                int(seconds * Gst.SECOND)):
        pipeline.get_state(Gst.CLOCK_TIME_NONE)
        sample = sink.emit("pull-preroll")
        if sample is not None:
            buf = sample.get_buffer()
            data = buf.extract_dup(0, buf.get_size())
    pipeline.set_state(Gst.State.NULL)
    return data


def main():
    a = parse_args()
    ilgnet_gi.need_element(PROG)
    try:
        uri = ilgnet_gi.video_uri(a.video)
    except FileNotFoundError as e:
        sys.exit("%s: %s" % (PROG, e))
    results, error = score(uri, a)
    if error:
        sys.exit("%s: %s: %s" % (PROG, a.video, error))
    if not results:
        sys.exit("%s: %s: no frame was scored" % (PROG, a.video))

    os.makedirs(a.outdir, exist_ok=True)
    name = os.path.splitext(os.path.basename(a.video))[0]
    print("%-4s %9s %7s %7s  %s" % ("rank", "time_s", "frame", "score", "file"))
    for k, r in enumerate(pick(results, a.count, a.gap), 1):
        png = grab(uri, r["time"])
        if png is None:
            sys.exit("%s: %s: cannot grab the frame at %.3f s"
                     % (PROG, a.video, r["time"]))
        path = os.path.join(a.outdir, "%s-%d.png" % (name, k))
        with open(path, "wb") as f:
            f.write(png)
        print("%-4d %9.3f %7d %7.4f  %s" % (k, r["time"], r["frame"],
                                           r["score"], path))


if __name__ == "__main__":
    main()
