#!/usr/bin/python3
"""Does live framing feedback keep up?  A live 640x360 source at 30 fps
through `ilgnet crop=multi overlay=crop` into a clock-synced sink, as a
camera app runs it:

    live-rate.py [--frames 300] [--width 640 --height 360 --fps 30]
                 [--interval NS] [--gst-launch gst-launch-1.0]
                 [-- extra ilgnet properties]

Prints how long the frames took against their real time, how many QoS
(late or dropped buffer) messages the sink posted, and how often the
suggestion refreshed: `ilgnet` messages (one per analysed frame) a second
of video, and the element's `frames-analysed` at the end.  Exit status 1
when a frame was late or dropped, or the suggestion refreshed less than
--min-rate times a second.
"""
import argparse
import os
import re
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--min-rate", type=float, default=5.0,
                    help="refreshes a second needed (default 5)")
    ap.add_argument("--interval", type=int,
                    help="ilgnet's interval in ns (default: the element's own, "
                    "100 ms with crop=multi)")
    ap.add_argument("--gst-launch", default="gst-launch-1.0")
    ap.add_argument("props", nargs="*", help="more ilgnet properties (k=v)")
    a = ap.parse_args()
    pipeline = (
        "videotestsrc is-live=true pattern=ball num-buffers=%d ! "
        "video/x-raw,width=%d,height=%d,framerate=%d/1 ! videoconvert ! "
        "ilgnet name=ilgnet crop=multi overlay=crop %s %s ! videoconvert ! "
        "fakesink sync=true qos=true" % (
            a.frames, a.width, a.height, a.fps,
            "" if a.interval is None else "interval=%d" % a.interval, " ".join(a.props)))
    t0 = time.monotonic()
    # examples/plugin-env.sh points GStreamer at this checkout's plugin
    env_sh = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugin-env.sh")
    p = subprocess.run(["sh", "-c", '. "$1"; shift; exec "$@"', os.path.abspath(__file__),
                        env_sh, a.gst_launch, "-m"] + pipeline.split(),
                       capture_output=True, text=True)
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("live-rate.py: the pipeline failed: %s" % (p.stderr.strip().splitlines()
                                                             or ["?"])[-1])
    msgs = [l for l in p.stdout.splitlines() if "Got message" in l]
    refresh = sum(1 for l in msgs if "(element): ilgnet," in l)
    qos = sum(1 for l in msgs if "(qos)" in l)
    analysed = re.findall(r"frames-analysed=\(uint\)(\d+)", p.stdout)
    video_s = a.frames / a.fps
    rate = refresh / video_s
    print("%d frames of %dx%d at %d fps (%.1f s of video) took %.1f s"
          % (a.frames, a.width, a.height, a.fps, video_s, took))
    print("late or dropped buffers (QoS messages): %d" % qos)
    print("suggestion refreshes: %d (%.1f a second)%s" % (
        refresh, rate, ", frames-analysed %s" % analysed[-1] if analysed else ""))
    ok = qos == 0 and rate >= a.min_rate
    print("live: %s" % ("ok" if ok else "NOT keeping up"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
