#!/usr/bin/python3
"""One job of tag-folder.sh: tags one video with ONE scoring pass.

  tag-one.py VIDEO OUTBASE [--formats csv,jsonl,webvtt] [--interval NS]
             [--model MODEL] [--force] [--parts DIR]

The ilgnet element writes OUTBASE.jsonl (as a part file); the CSV and
WebVTT files are converted from it (scorefile.py), the WebVTT's last cue
ending where the element's would (the stream time of the last buffer's end,
taken in a probe on the element's sink pad).  Files are renamed into place
only when all are complete, so an interrupted job leaves nothing that looks
tagged.  With all formats already there, the video is
skipped unless --force.

Prints one tab-separated row (tag-folder.sh's summary):
  status video mean max best_s scored messages length_s tag_s error
status ok|skipped|failed; scored = score file records, messages = `ilgnet`
bus messages (one pass: the same number).  Exits 1 when the video failed.
"""
import argparse
import csv
import os
import shutil
import signal
import sys
import time

# An example run on its own (tag-folder.sh, or by hand): the examples' GI
# helper module is examples/python/ilgnet_gi.py, found from here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "python"))
import ilgnet_gi  # noqa: E402
from ilgnet_gi import Gst  # noqa: E402
import scorefile  # noqa: E402

EXT = {"csv": "csv", "jsonl": "jsonl", "webvtt": "vtt"}


def stats(csv_path):
    """mean, max, time of the max, records, last time of a CSV score file."""
    with open(csv_path, newline="") as f:
        rows = [(float(r["time"] or 0), float(r["score"]))
                for r in csv.DictReader(f)]
    if not rows:
        raise ValueError("no scores")
    best = max(rows, key=lambda r: r[1])
    return (sum(s for _, s in rows) / len(rows), best[1], best[0], len(rows),
            max(t for t, _ in rows))


def score(video, jsonl, interval, model):
    """Runs the pipeline; returns (error or None, messages, end)."""
    pipeline = Gst.parse_launch(
        "uridecodebin name=src caps=video/x-raw expose-all-streams=false "
        "! videoconvert ! ilgnet name=ilgnet mode=sync format=jsonl "
        "! fakesink")
    pipeline.get_by_name("src").set_property("uri", ilgnet_gi.video_uri(video))
    ilgnet = pipeline.get_by_name("ilgnet")
    ilgnet.set_property("interval", interval)
    ilgnet.set_property("location", jsonl)
    if model:
        ilgnet.set_property("model", model)

    # The element's last_end: stream time of the last input buffer's end.
    state = {"segment": None, "end": None, "messages": 0}

    def probe(pad, info):
        if info.type & Gst.PadProbeType.EVENT_DOWNSTREAM:
            ev = info.get_event()
            if ev.type == Gst.EventType.SEGMENT:
                state["segment"] = ev.parse_segment()
            return Gst.PadProbeReturn.OK
        buf = info.get_buffer()
        seg = state["segment"]
        if seg is None or seg.format != Gst.Format.TIME or \
                buf.pts == Gst.CLOCK_TIME_NONE:
            return Gst.PadProbeReturn.OK
        st = seg.to_stream_time(Gst.Format.TIME, buf.pts)
        if st != Gst.CLOCK_TIME_NONE:
            d = buf.duration
            state["end"] = st + (d if d != Gst.CLOCK_TIME_NONE else 0)
        return Gst.PadProbeReturn.OK

    ilgnet.get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, probe)

    def on_message(msg):
        if ilgnet_gi.message_result(msg) is not None:
            state["messages"] += 1

    error = ilgnet_gi.run(pipeline, on_message)
    return error, state["messages"], state["end"]


def row(status, video, st=None, messages="-", secs=None, error=""):
    if st:
        cols = ["%.4f" % st[0], "%.4f" % st[1], "%.1f" % st[2], str(st[3]),
                str(messages), "%.1f" % st[4]]
    else:
        cols = ["-", "-", "-", "0", str(messages), "-"]
    cols.append("-" if secs is None else "%.1f" % secs)
    print("\t".join([status, video] + cols + [error.replace("\t", " ")
                                              .replace("\n", " ")]),
          flush=True)


def parse_args():
    ap = argparse.ArgumentParser(prog="tag-one.py", description=(
        "One job of tag-folder.sh: scores VIDEO once, writes "
        "OUTBASE.csv/.jsonl/.vtt, prints a summary row."))
    ap.add_argument("video")
    ap.add_argument("outbase", help="score files' path without extension")
    ap.add_argument("--formats", default="csv",
                    help="comma list of csv, jsonl, webvtt (csv always)")
    ap.add_argument("--interval", type=int, default=500000000, metavar="NS")
    ap.add_argument("--model")
    ap.add_argument("--force", action="store_true",
                    help="tag even when all score files exist")
    ap.add_argument("--parts", metavar="DIR", help="where files are written "
                    "before they are complete (default: OUTBASE's folder)")
    a = ap.parse_args()
    a.formats = a.formats.split(",")
    if not set(a.formats) <= set(EXT):
        ap.error("unknown format in %s" % ",".join(a.formats))
    # The CSV is always written: the summary is computed from it.
    if "csv" not in a.formats:
        a.formats.append("csv")
    return a


def main():
    a = parse_args()
    video, base = a.video, a.outbase
    outs = {f: base + "." + EXT[f] for f in a.formats}

    if not a.force and all(os.path.exists(p) and os.path.getsize(p) > 0
                           for p in outs.values()):
        try:
            row("skipped", video, stats(outs["csv"]))
            return 0
        except (OSError, ValueError, KeyError):
            pass                        # unreadable: tag it again

    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    parts_dir = a.parts or os.path.dirname(base) or "."
    os.makedirs(parts_dir, exist_ok=True)
    # Hidden, per process: never mistaken for a score file, never shared.
    # A job killed outright leaves it behind: tag-folder.sh empties its
    # --parts folder at the start of a run.
    part = os.path.join(parts_dir, ".%s.part-%d" % (os.path.basename(base),
                                                    os.getpid()))
    # Stopped (parallel passes on Ctrl-C as SIGINT, then SIGTERM): clean up
    # in the finally clause below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    jsonl = part + ".jsonl"
    start = time.monotonic()
    try:
        error, messages, end = score(video, jsonl, a.interval, a.model)
        records = [] if error else scorefile.read_jsonl(jsonl)
        if not error and not records:
            error = "no frame was scored"
        if not error:
            parts = {}
            for f in a.formats:
                if f == "jsonl":
                    parts[f] = jsonl
                    continue
                parts[f] = part + "." + EXT[f]
                with open(parts[f], "w") as out:
                    out.write(scorefile.convert(records, f, end))
            for f, p in parts.items():
                shutil.move(p, outs[f])     # a rename on one file system
    except (OSError, ValueError, GLibError) as e:
        error = str(e)
    finally:
        # A second signal must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for f in EXT.values():
            if os.path.exists(part + "." + f):
                os.unlink(part + "." + f)
    if error:
        row("failed", video, error=error.splitlines()[0])
        return 1
    row("ok", video, stats(outs["csv"]), messages, time.monotonic() - start)
    return 0


GLibError = ilgnet_gi.GLib.Error

if __name__ == "__main__":
    sys.exit(main())
