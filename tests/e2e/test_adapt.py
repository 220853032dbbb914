"""ilgnet-thumbs where fixed thresholds fail: a night-time version of the
clip (every frame "dark") still yields K thumbnails, none from the black
gap or the blurred shot; an odd-sized clip with an audio track works."""
import argparse
import json
import os
import shutil
import subprocess

import cv2

from e2e_util import check, load_truth, need_model, run, segment_at

ap = argparse.ArgumentParser()
ap.add_argument("--thumbs", required=True)
ap.add_argument("--dark", required=True)
ap.add_argument("--odd", required=True)
ap.add_argument("--truth", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
need_model(a.source_root)
truth = load_truth(a.truth)
shutil.rmtree(a.work, ignore_errors=True)

out = os.path.join(a.work, "dark")
p = run([a.thumbs, a.dark, "-k", "4", "-o", out])
check(p.returncode == 0, "dark clip: exit status 0")
check(p.stderr.strip() == "", "no progress bar when stderr is not a tty")
doc = json.load(open(os.path.join(out, "thumbs.json")))
th = doc["thumbnails"]
check(len(th) == 4, "dark clip: still 4 thumbnails")
kinds = [segment_at(truth, t["timestamp"])["kind"] for t in th]
print("picks:", [(round(t["timestamp"], 2), k) for t, k in zip(th, kinds)])
check(all(k in ("clean",) for k in kinds),
      "dark clip: none from the black gap, fades or the blurred shot")
check(len({t["shot"] for t in th}) == 4, "dark clip: four different shots")

# On a terminal (a pseudo-terminal here) the bar redraws in place.
out = os.path.join(a.work, "odd")
master, slave = os.openpty()
proc = subprocess.Popen([a.thumbs, a.odd, "-k", "3", "-o", out],
                        stdout=subprocess.PIPE, stderr=slave, text=True)
os.close(slave)
tty = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    tty += chunk
proc.wait(timeout=120)
os.close(master)
print(proc.stdout.read())
tty = tty.decode()
print(repr(tty[-300:]))
check(proc.returncode == 0, "321x179 clip with audio: exit status 0")
check(tty.startswith("\rscoring [") and "ETA" in tty
      and tty.rstrip("\r\n").split("\r")[-1].startswith("scoring [" + "#" * 30)
      and "done in" in tty and tty.endswith("\n"),
      "on a terminal: one bar redrawn with \\r, ETA, ending full and 'done'")
doc = json.load(open(os.path.join(out, "thumbs.json")))
check((doc["width"], doc["height"]) == (321, 179), "size read as 321x179")
for t in doc["thumbnails"]:
    img = cv2.imread(os.path.join(out, t["file"]))
    check(img is not None and img.shape[:2] == (179, 321),
          "%s is 321x179" % t["file"])
    check(segment_at(truth, t["timestamp"])["kind"] == "clean",
          "%s at %.2f s is from a clean segment" % (t["file"], t["timestamp"]))
