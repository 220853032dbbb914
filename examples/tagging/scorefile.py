#!/usr/bin/python3
"""Converts the ilgnet element's JSON lines score file (format=jsonl) to the
element's other formats, CSV and WebVTT, byte for byte as the element writes
them (gst-plugin/gstilgnetsidecar.c; the `wallclock` column is the one each
JSON line recorded).  So a video is scored once and written in every format.

  scorefile.py SCORES.jsonl -f csv|webvtt [-o OUT] [--end NS]

WebVTT: each cue ends where the next one starts; the last one ends at the
end of the stream (--end, stream time in nanoseconds, as the element's
last buffer end), or 40 ms after it starts when --end is not given.
"""
import argparse
import json
import sys

SECOND = 1000000000
MSECOND = 1000000
MIN_CUE = 40 * MSECOND          # ILGNET_SIDECAR_MIN_CUE

CSV_HEADER = ("frame,pts,stream_time,running_time,time,score,crop_x,crop_y,"
              "crop_width,crop_height,frame_score,keep_framing,crop_zoom,"
              "crop_offset_x,crop_offset_y,model,wallclock\n")


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _num(v):
    return "" if v is None else "%d" % v


def csv_text(records):
    out = [CSV_HEADER]
    for r in records:
        row = "%d,%s,%s,%s," % (r["frame"], _num(r["pts"]),
                                _num(r["stream_time"]),
                                _num(r["running_time"]))
        if r["time"] is not None:
            row += "%.6f" % r["time"]
        row += ",%.6f" % r["score"]
        if "crop" in r:
            c = r["crop"]
            row += ",%d,%d,%d,%d,%.6f,%s,%.4f,%.4f,%.4f" % (
                c["x"], c["y"], c["width"], c["height"], r["frame_score"],
                "true" if r["keep_framing"] else "false", r["crop_zoom"],
                r["crop_offset_x"], r["crop_offset_y"])
        else:
            row += ",,,,,,,,,"
        row += ',"%s",%s\n' % (r["model"].replace('"', '""'), r["wallclock"])
        out.append(row)
    return "".join(out)


def _vtt_time(t):
    ms = t // MSECOND
    return "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60,
                                    ms // 1000 % 60, ms % 1000)


def webvtt_text(records, end=None):
    """As write_webvtt()/gst_ilgnet_sidecar_finish() of the element."""
    out = ["WEBVTT\n"]
    cue = None                   # (record, start) of the pending cue
    n = 0

    def write_cue(r, start, stop):
        if stop // MSECOND <= start // MSECOND:
            stop = start + MSECOND      # an empty cue is invalid
        text = "\n%d\n%s --> %s\nscore %.3f\n" % (
            n, _vtt_time(start), _vtt_time(stop), r["score"])
        if "crop" in r:
            c = r["crop"]
            text += "crop %d,%d %dx%d\n" % (c["x"], c["y"], c["width"],
                                            c["height"])
        out.append(text)

    last_start = None
    for r in records:
        # Stream time is what a player's position shows.
        start = r["stream_time"] if r["stream_time"] is not None else r["pts"]
        if start is None:
            continue
        if cue:
            # Cues start in increasing order (a seek back is not written).
            if start // MSECOND <= cue[1] // MSECOND:
                continue
            n += 1
            write_cue(cue[0], cue[1], start)
        elif n > 0 and start <= last_start:
            continue
        cue = (r, start)
        last_start = start
    if cue:
        stop = end
        if stop is None or stop <= cue[1]:
            stop = cue[1] + MIN_CUE
        n += 1
        write_cue(cue[0], cue[1], stop)
    return "".join(out)


def convert(records, fmt, end=None):
    if fmt == "csv":
        return csv_text(records)
    if fmt == "webvtt":
        return webvtt_text(records, end)
    raise ValueError("unknown format %s" % fmt)


def main():
    ap = argparse.ArgumentParser(prog="scorefile.py", description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("jsonl", help="score file written with format=jsonl")
    ap.add_argument("-f", "--format", required=True, choices=["csv", "webvtt"])
    ap.add_argument("-o", "--output", help="output file (default: stdout)")
    ap.add_argument("--end", type=int, metavar="NS",
                    help="WebVTT: stream time where the last cue ends")
    a = ap.parse_args()
    try:
        text = convert(read_jsonl(a.jsonl), a.format, a.end)
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit("scorefile.py: %s: %s" % (a.jsonl, e))
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
