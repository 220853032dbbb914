#!/usr/bin/python3
"""Scores a video with the ilgnet element and prints one line per analysed
frame, read in a pad probe from the GstIlgnetMeta each scored buffer
carries (GstIlgnet.buffer_get_ilgnet_meta, through GObject introspection).
"""
import argparse
import json
import sys

import ilgnet_gi
from ilgnet_gi import Gst, GstIlgnet

PROG = "score-video.py"


def parse_args():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__)
    ap.add_argument("video", help="video file (or URI)")
    ap.add_argument("-i", "--interval", type=float, default=0.5,
                    metavar="SECONDS",
                    help="score one frame every SECONDS (default 0.5; 0: "
                    "every frame)")
    ap.add_argument("-m", "--model", help="model file (default: the "
                    "element's default model)")
    ap.add_argument("--crop", default="squash",
                    choices=["squash", "center", "letterbox", "multi"],
                    help="what the network sees (the element's crop "
                    "property; default squash)")
    ap.add_argument("--jsonl", action="store_true",
                    help="print JSON lines (exact scores) instead of a table")
    a = ap.parse_args()
    if a.interval < 0:
        ap.error("--interval must be >= 0")
    return a


def main():
    a = parse_args()
    ilgnet_gi.need_meta_typelib(PROG)
    ilgnet_gi.need_element(PROG)
    try:
        uri = ilgnet_gi.video_uri(a.video)
    except FileNotFoundError as e:
        sys.exit("%s: %s" % (PROG, e))

    pipeline = Gst.parse_launch(
        "uridecodebin name=src caps=video/x-raw expose-all-streams=false "
        "! videoconvert ! ilgnet name=ilgnet mode=sync ! fakesink")
    pipeline.get_by_name("src").set_property("uri", uri)
    ilgnet = pipeline.get_by_name("ilgnet")
    ilgnet.set_property("interval", int(a.interval * Gst.SECOND))
    ilgnet.set_property("crop", a.crop)
    if a.model:
        ilgnet.set_property("model", a.model)

    if not a.jsonl:
        print("%7s %10s %8s  %-20s %s" % ("frame", "time_s", "score",
                                          "crop x,y wxh", "model"))
    last = [None]

    def probe(pad, info):
        meta = GstIlgnet.buffer_get_ilgnet_meta(info.get_buffer())
        # A result may ride on later buffers too: print each one once.
        if meta is None or meta.frame == last[0]:
            return Gst.PadProbeReturn.OK
        last[0] = meta.frame
        t = ilgnet_gi.clock_time(meta.pts)
        if a.jsonl:
            print(json.dumps({"frame": meta.frame, "pts": meta.pts,
                              "score": meta.score, "crop": [meta.x, meta.y,
                              meta.width, meta.height],
                              "model": meta.model}), flush=True)
        else:
            print("%7d %10.3f %8.4f  %-20s %s" % (
                meta.frame, t if t is not None else -1, meta.score,
                "%d,%d %dx%d" % (meta.x, meta.y, meta.width, meta.height),
                meta.model or "-"), flush=True)
        return Gst.PadProbeReturn.OK

    ilgnet.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, probe)
    error = ilgnet_gi.run(pipeline)
    if error:
        sys.exit("%s: %s: %s" % (PROG, a.video, error))
    if last[0] is None:
        sys.exit("%s: %s: no frame was scored" % (PROG, a.video))


if __name__ == "__main__":
    main()
