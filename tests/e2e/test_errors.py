"""Bad input gives one clear line on stderr and a non-zero exit, never a
crash: missing file, directory, random bytes, text, truncated video,
audio only, missing or broken model, bad options."""
import argparse
import os
import random
import shutil
import subprocess

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--thumbs", required=True)
ap.add_argument("--clip", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)
w = lambda name: os.path.join(a.work, name)

# Seeded: some random files happen to typefind as H.263 and decode a frame.
with open(w("random.mp4"), "wb") as f:
    f.write(random.Random(1).randbytes(200000))
# The start of a real clip, then garbage: what decodes is used, with a
# warning.
with open(a.clip, "rb") as src:
    data = bytearray(src.read())
data[len(data) // 20:] = random.Random(3).randbytes(len(data) - len(data) // 20)
with open(w("damaged.webm"), "wb") as f:
    f.write(data)
with open(w("text.webm"), "w") as f:
    f.write("this is not a video\n" * 100)
with open(a.clip, "rb") as src, open(w("truncated.webm"), "wb") as f:
    f.write(src.read(3000))
subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=40", "!",
                "wavenc", "!", "filesink", "location=" + w("audio.wav")],
               check=True)

cases = [
    ("missing", [w("nope.mp4")], 1, "no such file"),
    ("directory", [a.work], 1, "directory"),
    ("random bytes", [w("random.mp4")], 1, None),
    ("text", [w("text.webm")], 1, None),
    ("truncated", [w("truncated.webm")], 1, None),
    ("audio only", [w("audio.wav")], 1, "no video"),
    ("missing model", [a.clip, "--model", w("nope.ilgnet")], 1, "nope.ilgnet"),
    ("not a model", [a.clip, "--model", w("text.webm")], 1, "model"),
    ("k=0", [a.clip, "-k", "0"], 2, "-k"),
    ("bad interval", [a.clip, "--interval", "-1"], 2, "interval"),
    ("no argument", [], 2, "usage"),
]
p = run([a.thumbs, w("damaged.webm"), "-k", "2", "-o", w("out-damaged")])
check(p.returncode == 0, "damaged file: the part that decodes is used")
check("warning: only" in p.stderr and "damaged" in p.stderr,
      "damaged file: warns that only part of it decoded")

for name, args, code, words in cases:
    p = run([a.thumbs] + args + ["-o", w("out-" + name.replace(" ", "-"))],
            timeout=60)
    check(p.returncode == code, "%s: exit status %d (%d)"
          % (name, code, p.returncode))
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(len(lines) == 1 and lines[0].startswith("ilgnet-thumbs:")
          or lines[0].startswith("usage:"),
          "%s: one line on stderr: %s" % (name, lines[:1]))
    if words:
        check(words in lines[0], "%s: says %r" % (name, words))
