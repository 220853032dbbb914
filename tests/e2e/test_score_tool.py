"""ilgnet-score never prints invalid JSON and never scores a picture it
did not fully see: a model whose score is not a number (NaN weights) is
one clear line on stderr and a non-zero exit, with no line on stdout; a
JPEG cut short is refused, even with an EXIF-style thumbnail (its own
end marker) before the image; an intact JPEG, with or without trailing
bytes, is scored."""
import argparse
import json
import os
import shutil
import struct
import subprocess

from e2e_util import check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--score", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
model = need_model(a.source_root)
shutil.rmtree(a.work, ignore_errors=True)
os.makedirs(a.work)
w = lambda name: os.path.join(a.work, name)


def one_error_line(p, what, words):
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode != 0, "%s: non-zero exit (%d)" % (what, p.returncode))
    check(len(lines) == 1 and lines[0].startswith("ilgnet-score: "),
          "%s: one line on stderr: %s" % (what, lines[:2]))
    check(words in lines[0], "%s: says %r: %s" % (what, words, lines[:1]))


def json_lines(p, what):
    out = [l for l in p.stdout.splitlines() if l.strip()]
    for l in out:
        try:
            json.loads(l, parse_constant=lambda c: 1 / 0)
        except Exception:
            check(False, "%s: invalid JSON on stdout: %s" % (what, l))
    return [json.loads(l) for l in out]


# A model whose classifier bias (the last f32 tensor on the score's path)
# is NaN: it loads, but every score is NaN.
raw = bytearray(open(model, "rb").read())
hlen = struct.unpack("<Q", raw[16:24])[0]
header = json.loads(raw[24:24 + hlen])
data_start = len(raw) - header["data_size"]
f32 = [t for n, t in header["tensors"].items()
       if t["dtype"] == "f32" and not n.startswith("framing/")]
last = max(f32, key=lambda t: t["offset"])
for i in range(last["nbytes"] // 4):
    struct.pack_into("<I", raw, data_start + last["offset"] + 4 * i,
                     0x7fc00000)
open(w("nan.ilgnet"), "wb").write(raw)

subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1",
                "pattern=smpte", "!", "video/x-raw,width=320,height=240", "!",
                "jpegenc", "!", "filesink", "location=" + w("full.jpg")],
               check=True)
jpeg = open(w("full.jpg"), "rb").read()
open(w("half.jpg"), "wb").write(jpeg[:len(jpeg) // 2])
open(w("trailing.jpg"), "wb").write(jpeg + b"trailing bytes" * 4)
# An APP1 segment holding a small JPEG (SOI ... EOI) right after SOI, then
# the image cut short: the thumbnail's end marker must not count.
thumb = b"\xff\xd8" + b"\x00" * 20 + b"\xff\xd9"
app1 = b"\xff\xe1" + struct.pack(">H", len(thumb) + 2) + thumb
open(w("half-exif.jpg"), "wb").write(jpeg[:2] + app1 +
                                     jpeg[2:len(jpeg) // 2])
open(w("exif.jpg"), "wb").write(jpeg[:2] + app1 + jpeg[2:])

p = run([a.score, "-m", w("nan.ilgnet"), w("full.jpg")])
one_error_line(p, "NaN model", "not a number")
check(p.stdout.strip() == "", "NaN model: nothing on stdout")

c, h, wd = header["input"]["shape"][-3:]
with open(w("zeros.f32"), "wb") as f:
    f.write(b"\0" * (4 * c * h * wd))
p = run([a.score, "-m", w("nan.ilgnet"), "--tensor", w("zeros.f32")])
one_error_line(p, "NaN model, --tensor", "not a number")
json_lines(p, "NaN model, --tensor")

for name in ("half.jpg", "half-exif.jpg"):
    p = run([a.score, "-m", model, w(name)])
    one_error_line(p, name, "truncated JPEG")
    check(p.stdout.strip() == "", "%s: not scored" % name)

p = run([a.score, "-m", model, w("full.jpg"), w("trailing.jpg"),
         w("exif.jpg")])
check(p.returncode == 0, "intact JPEGs: exit 0")
out = json_lines(p, "intact JPEGs")
check(len(out) == 3 and all(0 <= o["score"] <= 1 and "warning" not in o
                            for o in out), "intact JPEGs: scored: %s" % out)

# A truncated file among good ones: the good ones are still scored.
p = run([a.score, "-m", model, w("full.jpg"), w("half.jpg")])
check(p.returncode == 1, "mixed: exit 1")
check(len(json_lines(p, "mixed")) == 1, "mixed: the intact one scored")

# A file name with JSON's special characters reads back as itself; --crop
# multi adds the crop, --tensor prints an index per image.
odd = w('quote" back\\slash\ttab.jpg')
shutil.copy(w("full.jpg"), odd)
p = run([a.score, "-m", model, "--crop", "multi", odd])
out = json_lines(p, "odd name")
check(len(out) == 1 and out[0]["file"] == odd
      and sorted(out[0]["crop"]) == ["height", "width", "x", "y"],
      "odd name, --crop multi: %s" % out)
with open(w("zeros2.f32"), "wb") as f:
    f.write(b"\0" * (2 * 4 * c * h * wd))
p = run([a.score, "-m", model, "--tensor", w("zeros2.f32")])
out = json_lines(p, "--tensor")
check([sorted(o) for o in out] == [["index", "score"]] * 2
      and [o["index"] for o in out] == [0, 1], "--tensor: %s" % out)

# --all-crops: every candidate of one trunk pass (ilgnet_frame_anchors,
# the whole frame first; all 276 with the default model's framing map),
# each inside the frame at the frame's aspect.
p = run([a.score, "-m", model, "--crop", "multi", "--all-crops",
         w("full.jpg")])
out = json_lines(p, "--all-crops")
crops = out[0]["crops"] if len(out) == 1 else []
check(len(crops) == 276, "--all-crops: 276 candidates (%d)" % len(crops))
check(crops[:1] and (crops[0]["x"], crops[0]["y"], crops[0]["width"],
                     crops[0]["height"]) == (0, 0, 320, 240),
      "--all-crops: the whole frame first: %s" % crops[:1])
check(all(0 <= c["x"] and 0 <= c["y"] and c["x"] + c["width"] <= 320
          and c["y"] + c["height"] <= 240
          and abs(c["width"] / c["height"] - 320 / 240) < 0.03
          and 0 <= c["score"] <= 1 for c in crops),
      "--all-crops: boxes inside the frame at its aspect, scores in 0..1")
check(len({(c["x"], c["y"], c["width"], c["height"]) for c in crops})
      == len(crops), "--all-crops: distinct boxes")
p = run([a.score, "-m", model, "--all-crops", w("full.jpg")])
one_error_line(p, "--all-crops without multi", "--crop multi")
# At the model's own input size the whole-frame candidate of the one pass
# is the plain (squash) score: same trunk input, same pooling windows.
subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1",
                "pattern=smpte", "!", "video/x-raw,width=%d,height=%d" % (wd, h),
                "!", "jpegenc", "!", "filesink", "location=" + w("own.jpg")],
               check=True)
plain = json_lines(run([a.score, "-m", model, "--crop", "squash",
                        w("own.jpg")]), "own size, squash")
multi = json_lines(run([a.score, "-m", model, "--crop", "multi",
                        "--all-crops", w("own.jpg")]), "own size, all crops")
check(len(plain) == 1 and len(multi) == 1
      and abs(multi[0]["crops"][0]["score"] - plain[0]["score"]) <= 2e-6,
      "whole-frame candidate = squash score at %dx%d: %s vs %s"
      % (wd, h, multi[0]["crops"][0]["score"] if multi else None,
         plain[0]["score"] if plain else None))
