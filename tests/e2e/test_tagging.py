"""Tagging: tag-folder.sh writes JSON lines, CSV and WebVTT score files
that parse and agree, and a summary table sorted by mean score; a broken
file is reported, not fatal.  The README one-liners run."""
import argparse
import csv
import json
import os
import re
import shutil

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--examples", required=True)
ap.add_argument("--clip", required=True)
ap.add_argument("--odd", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)
folder = os.path.join(a.work, "videos")
out = os.path.join(a.work, "tags")
os.makedirs(folder)
shutil.copy(a.clip, os.path.join(folder, "clip.webm"))
shutil.copy(a.odd, os.path.join(folder, "odd.mkv"))
with open(os.path.join(folder, "broken.mp4"), "wb") as f:
    f.write(b"\0not a video" * 500)

p = run(["bash", os.path.join(a.examples, "tagging", "tag-folder.sh"), folder,
         "-o", out, "-f", "all", "-i", "1"])
check(p.returncode == 1, "exit status 1: one video failed")
rows = [l.split() for l in p.stdout.splitlines()[1:] if l and l[0] in "0-"]
check(len(rows) == 3, "three rows in the table")
check("FAILED" in " ".join(rows[-1]) and rows[-1][6] == "broken.mp4",
      "the broken file is reported last")
means = [float(r[0]) for r in rows[:2]]
check(means == sorted(means, reverse=True), "sorted by mean score")
check(not os.path.exists(os.path.join(out, "broken.csv")),
      "no score file for the broken video")

ts = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"
for row in rows[:2]:
    name = os.path.splitext(row[6])[0]
    recs = [json.loads(l) for l in open(os.path.join(out, name + ".jsonl"))]
    check(len(recs) >= 26, "%s.jsonl: %d records" % (name, len(recs)))
    check(all(0 <= r["score"] <= 1 for r in recs), "%s: scores in 0..1" % name)
    times = [r["time"] for r in recs]
    check(all(b > a for a, b in zip(times, times[1:])),
          "%s.jsonl: times increase" % name)
    check(all(abs((b - a) - 1.0) < 0.05 for a, b in zip(times, times[1:])),
          "%s.jsonl: one record a second" % name)

    with open(os.path.join(out, name + ".csv")) as f:
        table = list(csv.DictReader(f))
    check(len(table) == len(recs), "%s.csv: as many rows as JSON lines" % name)
    check(all(abs(float(t["score"]) - r["score"]) < 1e-5
              and abs(float(t["time"]) - r["time"]) < 1e-5
              for t, r in zip(table, recs)), "%s.csv agrees with .jsonl" % name)
    mean = sum(float(t["score"]) for t in table) / len(table)
    check(abs(mean - float(row[0])) < 1e-3, "%s: table mean %.4f" % (name, mean))

    text = open(os.path.join(out, name + ".vtt")).read()
    check(text.startswith("WEBVTT\n"), "%s.vtt: WEBVTT header" % name)
    cues = [c for c in text.split("\n\n")[1:] if c.strip()]
    starts = []
    prev_end = 0
    for c in cues:
        lines = c.strip().splitlines()
        m = re.fullmatch(ts + " --> " + ts, lines[1]) if len(lines) == 3 else None
        if not m or not lines[0].isdigit() or \
                not re.fullmatch(r"score [01]\.\d{3}", lines[2]):
            check(False, "%s.vtt: cue %r well formed" % (name, c))
        g = [int(x) for x in m.groups()]
        s = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        e = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        if not (s < e and s >= prev_end - 1e-9):
            check(False, "%s.vtt: cue %s ends after it starts, after the last"
                  % (name, lines[1]))
        starts.append(s)
        prev_end = e
    check(len(cues) == len(recs), "%s.vtt: %d cues, well formed, timestamps "
          "increasing" % (name, len(cues)))
    check(all(abs(s - r["time"]) < 0.002 for s, r in zip(starts, recs)),
          "%s.vtt: cues start at the scored frames" % name)

one = os.path.join(a.work, "oneliners")
p = run(["sh", os.path.join(a.examples, "tagging", "oneliners.sh"), a.odd, one])
check(p.returncode == 0, "oneliners.sh runs")
for ext in ("jsonl", "csv", "vtt"):
    path = os.path.join(one, "odd." + ext)
    check(os.path.getsize(path) > 100, "oneliners.sh wrote odd." + ext)

# A live source (videotestsrc is-live=true without a camera): 10 s, async
# scoring that never blocks it, one record a second.
p = run(["sh", os.path.join(a.examples, "tagging", "oneliners.sh"), "--live",
         one], timeout=120)
check(p.returncode == 0, "oneliners.sh --live runs")
live = [json.loads(l) for l in open(os.path.join(one, "live.jsonl"))]
times = [r["time"] for r in live]
check(len(live) >= 5 and all(b > t for t, b in zip(times, times[1:])),
      "live.jsonl: %d records, times increasing" % len(live))
check(all("wallclock" in r and 0 <= r["score"] <= 1 for r in live),
      "live.jsonl: scores in 0..1 with wall-clock times")
