"""Python through GObject introspection: examples/python/score-video.py
reads GstIlgnetMeta in a pad probe (GstIlgnet.buffer_get_ilgnet_meta) and
gets the same frames, scores (within 1e-6), crops and model as a C pad probe
(read-meta.c); pick-thumbnails.py picks from the `ilgnet` messages, whose
scores agree with the meta's, and writes the PNGs."""
import argparse
import json
import os
import shutil

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--examples", required=True)
ap.add_argument("--read-meta", required=True)
ap.add_argument("--clip", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)
py = os.path.join(a.examples, "python")
uri = "file://" + os.path.abspath(a.clip)

p = run([a.read_meta, uri, "500000000"])
check(p.returncode == 0, "read-meta (C) runs")
c = {}
for line in p.stdout.splitlines():
    f = line.split()
    c[int(f[0])] = {"pts": int(f[1]), "score": float(f[2]),
                    "crop": [int(x) for x in f[3:7]], "model": f[7]}
check(len(c) >= 20, "C probe: %d scored frames" % len(c))

p = run(["/usr/bin/python3", os.path.join(py, "score-video.py"), "--jsonl",
         "-i", "0.5", a.clip])
check(p.returncode == 0, "score-video.py runs")
recs = [json.loads(l) for l in p.stdout.splitlines()]
pyr = {r["frame"]: r for r in recs}
check(sorted(pyr) == sorted(c), "Python probe: the same %d frames as C"
      % len(pyr))
diff = max(abs(pyr[k]["score"] - c[k]["score"]) for k in c)
check(diff <= 1e-6, "Python scores = C scores (max difference %.2g)" % diff)
check(all(pyr[k]["pts"] == c[k]["pts"] and pyr[k]["crop"] == c[k]["crop"]
          and pyr[k]["model"] == c[k]["model"] for k in c),
      "Python probe: pts, crop and model as in C (model %r, crop %r)"
      % (recs[0]["model"], recs[0]["crop"]))
check(all(r["crop"][2] > 0 and r["crop"][3] > 0 and r["model"] for r in recs),
      "crop sizes and model name are set")

p = run(["/usr/bin/python3", os.path.join(py, "score-video.py"), "-i", "0.5",
         a.clip])
rows = p.stdout.splitlines()[1:]
check(p.returncode == 0 and len(rows) == len(recs), "the table: a row a frame")

thumbs = os.path.join(a.work, "thumbs")
p = run(["/usr/bin/python3", os.path.join(py, "pick-thumbnails.py"), "-n", "3",
         "-g", "2", "-i", "0.5", "-o", thumbs, a.clip])
check(p.returncode == 0, "pick-thumbnails.py runs")
picks = [l.split() for l in p.stdout.splitlines()[1:]]
check(len(picks) == 3, "three picks")
scores = [float(r[3]) for r in picks]
check(scores == sorted(scores, reverse=True), "best first")
best = max(r["score"] for r in recs)
check(abs(scores[0] - best) < 1e-4, "the first pick is the best frame "
      "(message %.4f, meta %.4f)" % (scores[0], best))
check(all(abs(float(r[3]) - pyr[int(r[2])]["score"]) < 1e-4 for r in picks),
      "message scores agree with the meta's")
times = [float(r[1]) for r in picks]
check(all(abs(s - t) >= 2 - 1e-6 for i, s in enumerate(times)
          for t in times[i + 1:]), "picks at least 2 s apart")
for r in picks:
    with open(r[4], "rb") as f:
        head = f.read(24)
    w = int.from_bytes(head[16:20], "big")
    check(head[:8] == b"\x89PNG\r\n\x1a\n" and w == 480,
          "%s: a PNG, 480 pixels wide" % os.path.basename(r[4]))

for script in ("score-video.py", "pick-thumbnails.py"):
    p = run(["/usr/bin/python3", os.path.join(py, script), "--help"])
    check(p.returncode == 0 and "usage:" in p.stdout, script + " --help")
    p = run(["/usr/bin/python3", os.path.join(py, script),
             os.path.join(a.work, "missing.mp4")])
    err = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(err) == 1 and "no such file" in err[0],
          script + ": a missing file is one line: " + (err or [""])[0])
