#!/usr/bin/python3
"""Framing advice in words: "move left, zoom in 1.4x" or "keep the framing",
from the `ilgnet` element's crop=multi suggestion (its `keep-framing`,
`crop-zoom`, `crop-offset-x` and `crop-offset-y`).

  advice.py VIDEO                 a file, analysed as fast as it decodes
  advice.py camera [/dev/videoN]  a live camera, four results a second
  advice.py --scores S.jsonl      a score file written with crop=multi

One line each time the advice changes: stream time, the suggested crop's
score against the frame's as it is, and the advice.  Offsets under 2 % of
the frame and zooms under 1.05x are not worth a word.
"""
import argparse
import json
import os
import sys

MIN_OFFSET = 0.02       # of the frame's width / height
MIN_ZOOM = 1.05


def advice_text(keep, zoom, dx, dy):
    """The suggestion as a person acts on it (dx, dy: the crop's centre minus
    the frame's, in frame sizes; negative is left / up)."""
    if keep:
        return "keep the framing"
    words = []
    horizontal = "left" if dx < 0 else "right"
    vertical = "up" if dy < 0 else "down"
    moves = [d for d, v in ((horizontal, dx), (vertical, dy))
             if abs(v) >= MIN_OFFSET]
    if moves:
        words.append("move " + " and ".join(moves))
    if zoom >= MIN_ZOOM:
        words.append("zoom in %.1fx" % zoom)
    return ", ".join(words) if words else "nearly there: hold steady"


def line(t, score, frame_score, text):
    when = "%8.2f s" % t if t is not None else "       ? s"
    return "%s  crop %.3f vs frame %.3f  %s" % (when, score, frame_score, text)


def from_scores(path):
    last = None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            r = json.loads(raw)
            if "crop_zoom" not in r:
                sys.exit("advice.py: %s:%d: no crop=multi fields (write the "
                         "score file with crop=multi)" % (path, n))
            text = advice_text(r["keep_framing"], r["crop_zoom"],
                               r["crop_offset_x"], r["crop_offset_y"])
            if text != last:
                print(line(r["time"], r["score"], r["frame_score"], text),
                      flush=True)
                last = text


def live(source, device):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import GLib, Gst
    Gst.init(None)
    if source == "camera":
        head = "v4l2src device=%s ! videoconvert ! videoscale ! " \
               "video/x-raw,width=640 ! " % device
        rate = "interval=250000000"
    else:
        if not os.path.exists(source):
            sys.exit("advice.py: %s: no such file" % source)
        head = "uridecodebin uri=%s caps=video/x-raw " \
               "expose-all-streams=false ! videoconvert ! " % \
               Gst.filename_to_uri(os.path.abspath(source))
        rate = "mode=sync interval=250000000"
    try:
        pipe = Gst.parse_launch(head + "ilgnet crop=multi %s ! fakesink "
                                "sync=%s" % (rate, str(source == "camera")
                                             .lower()))
    except GLib.Error as e:
        sys.exit("advice.py: %s" % e.message)
    state = {"last": None}
    loop = GLib.MainLoop()

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            print("advice.py: %s" % err.message, file=sys.stderr)
            state["failed"] = True
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is None or s.get_name() != "ilgnet" or \
                    not s.has_field("crop-zoom"):
                return
            text = advice_text(s.get_value("keep-framing"),
                               s.get_value("crop-zoom"),
                               s.get_value("crop-offset-x"),
                               s.get_value("crop-offset-y"))
            if text != state["last"]:
                st = s.get_value("stream-time")
                t = st / 1e9 if st != Gst.CLOCK_TIME_NONE else None
                print(line(t, s.get_value("score"),
                           s.get_value("frame-score"), text), flush=True)
                state["last"] = text

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipe.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    pipe.set_state(Gst.State.NULL)
    return 1 if state.get("failed") else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?", help="VIDEO, or camera")
    ap.add_argument("device", nargs="?", default="/dev/video0")
    ap.add_argument("--scores", metavar="S.jsonl")
    a = ap.parse_args()
    if a.scores:
        return from_scores(a.scores)
    if not a.source:
        ap.error("give VIDEO, camera or --scores S.jsonl")
    return live(a.source, a.device)


if __name__ == "__main__":
    sys.exit(main())
