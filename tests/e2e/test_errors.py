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
# Compressed audio only: decodebin, asked for video, calls it "missing a
# plug-in"; the true reason is that there is no video.
subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=40", "!",
                "audioconvert", "!", "vorbisenc", "!", "oggmux", "!",
                "filesink", "location=" + w("audio.ogg")], check=True)
# Video whose decoder is missing (VP8's, ranked out of autoplugging).
subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=10", "!",
                "vp8enc", "!", "webmmux", "!", "filesink",
                "location=" + w("vp8.webm")], check=True)

cases = [
    ("missing", [w("nope.mp4")], 1, "no such file"),
    ("directory", [a.work], 1, "directory"),
    ("random bytes", [w("random.mp4")], 1, None),
    ("text", [w("text.webm")], 1, None),
    ("truncated", [w("truncated.webm")], 1, None),
    ("audio only", [w("audio.wav")], 1, "no video"),
    ("vorbis only", [w("audio.ogg")], 1, "audio.ogg has no video stream"),
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

# Audio only: no blame on a missing plug-in.
for f in ("audio.wav", "audio.ogg"):
    p = run([a.thumbs, w(f), "-o", w("out-plugin-" + f)], timeout=60)
    check("plug-in" not in p.stderr, "%s: no plug-in blamed" % f)

# A missing video decoder is named as such.
env = dict(os.environ, GST_PLUGIN_FEATURE_RANK="vp8dec:NONE,avdec_vp8:NONE")
p = run([a.thumbs, w("vp8.webm"), "-o", w("out-vp8")], timeout=60, env=env)
lines = [l for l in p.stderr.splitlines() if l.strip()]
check(p.returncode == 1 and len(lines) == 1,
      "no VP8 decoder: one line, exit 1: %s" % lines[:2])
check("VP8" in lines[0] and "missing" in lines[0],
      "no VP8 decoder: says which decoder is missing: %s" % lines[0])

# $ILGNET_MODEL: the main line names the path and the true reason.
for value, words in ((w("nope.ilgnet"), "does not exist"),
                     (a.work, "is a directory")):
    env = dict(os.environ, ILGNET_MODEL=value)
    p = run([a.thumbs, a.clip, "-o", w("out-env-model")], timeout=60, env=env)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 1 and len(lines) == 1,
          "ILGNET_MODEL=%s: one line, exit 1: %s" % (value, lines[:2]))
    check(value in lines[0] and words in lines[0],
          "ILGNET_MODEL=%s: says %r: %s" % (value, words, lines[0]))
