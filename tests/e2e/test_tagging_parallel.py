"""Tagging a library in parallel (tag-folder.sh under GNU parallel): 12
videos in a tree, two broken, -j 2 -f all.  An interrupted run (Ctrl-C to
its process group half way) resumed with --resume tags only the rest; every
good video is tagged once, the broken ones are listed; each frame is scored
once (as many `ilgnet` messages as score file records, in every format);
the CSV and WebVTT converted from the JSON lines are the element's own;
--sshlogin : runs the same; a plain second run skips what is tagged."""
import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import time

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--examples", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)
folder = os.path.join(a.work, "videos")
out = os.path.join(a.work, "tags")
state = os.path.join(out, ".tag-folder")
tag = os.path.join(a.examples, "tagging", "tag-folder.sh")

# Ten good videos (test patterns, 16 s at 10 fps) in three folders, two
# broken files.
good = []
for i in range(10):
    rel = os.path.join(["", "a", "a/b"][i % 3], "v%02d.webm" % i)
    path = os.path.join(folder, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    p = run(["gst-launch-1.0", "-q", "videotestsrc", "pattern=%d" % i,
             "num-buffers=160", "!", "video/x-raw,width=240,height=136,"
             "framerate=10/1", "!", "vp8enc", "deadline=1", "!", "webmmux",
             "!", "filesink", "location=" + path])
    check(p.returncode == 0 and os.path.getsize(path) > 0, "made " + rel)
    good.append(rel)
broken = ["a/broken.mp4", "empty.mkv"]
with open(os.path.join(folder, broken[0]), "wb") as f:
    f.write(b"\0not a video" * 500)
open(os.path.join(folder, broken[1]), "wb").close()


def outputs(rel):
    base = os.path.join(out, os.path.splitext(rel)[0])
    return [base + e for e in (".csv", ".jsonl", ".vtt")]


def mtimes():
    return {rel: os.stat(outputs(rel)[0]).st_mtime_ns for rel in good
            if all(os.path.exists(p) for p in outputs(rel))}


cmd = ["bash", tag, folder, "-o", out, "-f", "all", "-j", "2"]

# Run 1, interrupted as Ctrl-C would: once 3 videos are done.
print("$ " + " ".join(cmd), flush=True)
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     start_new_session=True, text=True)
results = os.path.join(state, "results")
deadline = time.time() + 90
while time.time() < deadline and p.poll() is None:
    if os.path.exists(results) and \
            sum(1 for l in open(results) if l.startswith("ok")) >= 3:
        break
    time.sleep(0.05)
os.killpg(p.pid, signal.SIGINT)
p.communicate(timeout=60)
time.sleep(0.5)
first = mtimes()
check(3 <= len(first) < len(good),
      "interrupted run: %d of %d good videos tagged" % (len(first), len(good)))
stray = [f for d, _, fs in os.walk(out) for f in fs
         if ".part-" in f and not d.startswith(state)]
check(not stray, "no part files among the score files")
for rel in first:
    csvf, jsonl, vtt = outputs(rel)
    n = len([json.loads(l) for l in open(jsonl)])
    if not (n == sum(1 for _ in open(csvf)) - 1 ==
            open(vtt).read().count(" --> ") and n >= 30):
        check(False, "%s: complete score files" % rel)
check(True, "the interrupted run's score files are complete")

# Run 2: --resume does the rest only.
p = run(cmd + ["--resume"], timeout=110)
check(p.returncode == 1, "resumed run: exit status 1 (broken videos)")
second = mtimes()
check(sorted(second) == sorted(good), "every good video tagged")
parts = os.path.join(state, "parts")
check(not os.path.exists(parts) or not os.listdir(parts),
      "no part files left after the resumed run")
check(all(second[r] == first[r] for r in first),
      "the %d videos of the first run were not tagged again" % len(first))
with open(os.path.join(out, "summary.csv")) as f:
    summary = list(csv.DictReader(f))
ok = [r for r in summary if r["status"] == "ok"]
# A job Ctrl-C'd between its last rename and its row has complete files
# but no row; the resumed run reports it "skipped" (already tagged).  That
# may only happen to a video whose files were complete after run 1.
skipped = [r["video"] for r in summary if r["status"] == "skipped"]
check(len(summary) == 12 and len(ok) + len(skipped) == 10 and
      all(v in first for v in skipped),
      "summary.csv: 12 videos, 10 ok (%d of them already tagged by run 1)"
      % len(skipped))
with open(os.path.join(state, "joblog")) as f:
    log = [l.split("\t") for l in f.read().splitlines()[1:]]
seqs = [int(l[0]) for l in log]
check(sorted(seqs) == list(range(1, 13)),
      "job log: each of the 12 jobs ran once over both runs")
failed = sorted(r["video"] for r in summary if r["status"] == "failed")
check(failed == sorted(broken), "the broken ones listed: %s" % failed)
check(all(r["error"] for r in summary if r["status"] == "failed"),
      "with their errors")
rows = p.stdout.splitlines()[1:-1]        # between header and totals
check(len(rows) == 12 and all("FAILED" in l for l in rows[-2:]),
      "table: 12 rows, failures last")
means = [float(l.split()[0]) for l in rows[:10]]
check(means == sorted(means, reverse=True), "table sorted by mean score")

# One scoring pass: as many ilgnet messages as records in each format.
for r in ok:
    csvf, jsonl, vtt = outputs(r["video"])
    n_json = sum(1 for _ in open(jsonl))
    n_csv = sum(1 for _ in open(csvf)) - 1
    n_vtt = open(vtt).read().count(" --> ")
    if not (int(r["messages"]) == n_json == n_csv == n_vtt ==
            int(r["scored"]) and n_json >= 30):
        check(False, "%s: %s messages, %d JSON lines, %d CSV rows, %d cues"
              % (r["video"], r["messages"], n_json, n_csv, n_vtt))
check(True, "-f all: each frame scored once (messages = records = rows = "
      "cues, %s per video)" % ok[0]["messages"])

# The converted CSV and WebVTT are the element's own.
rel = good[4]
ref = os.path.join(a.work, "element")
os.makedirs(ref)
p = run(["gst-launch-1.0", "-q", "uridecodebin",
         "uri=file://" + os.path.join(folder, rel), "caps=video/x-raw",
         "expose-all-streams=false", "!", "videoconvert", "!", "tee",
         "name=t", "t.", "!", "queue", "!", "ilgnet", "mode=sync",
         "interval=500000000", "location=" + ref + "/e.csv", "format=csv", "!",
         "fakesink", "t.", "!", "queue", "!", "ilgnet", "mode=sync",
         "interval=500000000", "location=" + ref + "/e.vtt",
         "format=webvtt", "!", "fakesink"])
check(p.returncode == 0, "the element writes CSV and WebVTT itself")


def no_wallclock(path):
    return [l.rsplit(",", 1)[0] for l in open(path)]


csvf, _, vtt = outputs(rel)
check(no_wallclock(csvf) == no_wallclock(ref + "/e.csv"),
      "converted CSV = the element's CSV (but the wall-clock column)")
check(open(vtt).read() == open(ref + "/e.vtt").read(),
      "converted WebVTT = the element's WebVTT")

# A plain second run, on this machine through --sshlogin : (GNU parallel's
# fan-out): nothing to tag, every good video skipped.
p = run(["bash", tag, folder, "-o", out, "-f", "all", "-S", ":"], timeout=60)
check(p.returncode == 1 and "0 tagged, 10 already tagged, 2 failed"
      in p.stdout, "--sshlogin : second run: 10 already tagged, 2 failed")
check(mtimes() == second, "no score file rewritten")
