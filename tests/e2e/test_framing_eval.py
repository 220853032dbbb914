"""Framing figures on a small subset of the test photographs:
examples/framing/framing-eval.py on the first 8 photos of the project's
test set (kphotoalbum's demo album, fetched once with apt-get download by
models/train/photos.py into the build tree; $ILGNET_TEST_PHOTOS may name
a test.npz made by `photos.py WORKDIR --test` instead).  Skipped (77) when
neither the model nor the photos can be had (no network)."""
import argparse
import json
import os
import subprocess
import sys

from e2e_util import SKIP, check, need_model, run

ap = argparse.ArgumentParser()
ap.add_argument("--examples", required=True)
ap.add_argument("--source-root", required=True)
ap.add_argument("--box-tool", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--element", action="store_true",
                help="the element is built: check its advice too")
a = ap.parse_args()
model = need_model(a.source_root)

npz = os.environ.get("ILGNET_TEST_PHOTOS")
if not npz:
    npz = os.path.join(a.work, "cache", "test.npz")
    if not os.path.exists(npz):
        os.makedirs(a.work, exist_ok=True)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import photos; "
                "photos.build(sys.argv[2], [], 720, 'test', extra={'kphotoalbum': "
                "photos.TEST_PHOTOS['kphotoalbum'][:8]})")
        p = subprocess.run([sys.executable, "-c", code,
                            os.path.join(a.source_root, "models", "train"), a.work],
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0 or not os.path.exists(npz):
            print(p.stdout[-2000:], p.stderr[-2000:])
            print("SKIP: cannot build the test photos (apt-get download)")
            sys.exit(SKIP)

out = os.path.join(a.work, "framing-eval.json")
p = run([sys.executable, os.path.join(a.examples, "framing", "framing-eval.py"),
         "--photos", npz, "--box-tool", a.box_tool, "--model", model,
         "--limit", "8", "--json", out] + (["--element"] if a.element else []),
        timeout=600)
check(p.returncode == 0, "framing-eval.py runs")
fig = json.load(open(out))
one = fig["methods"]["one-pass"]
check(fig["n"] == 8, "8 test photos")
# the known crop is 70 % of each side: the whole frame's IoU is 0.49
check(abs(fig["whole_iou"] - 0.49) < 0.005, "whole-frame IoU 0.49")
check(fig["ceiling_iou"] >= 0.75, "some anchor reaches IoU >= 0.75 (%.3f)"
      % fig["ceiling_iou"])
check(fig["static_moves"] <= 1, "static noisy scene: box moved %d of %d pairs"
      % (fig["static_moves"], fig["static_pairs"]))
for line in p.stdout.splitlines():
    print("  " + line)
# The default model's framing map (issue 17, run 8; models/README.md):
# on all 31 test photos 0.775 against 0.490 / 0.657 for the whole frame and
# the centred crop, 26/31 kept; on these 8, 0.729 and 7/8 (run 5 gave 0.663
# and 5/8).  The model without its map scored 0.350 and kept 2/8 here.  Checked with room for
# float differences between machines: well above the whole frame, near the
# anchors' ceiling where the surroundings are dull (a wall, darkness, a
# defocused background), and most well-framed photos kept.
check(one["iou"] >= fig["whole_iou"] + 0.10,
      "suggestion IoU %.3f >= whole frame's + 0.10 (whole %.3f, centred %.3f)"
      % (one["iou"], fig["whole_iou"], fig["centre_iou"]))
dull = [one["iou_by_kind"][k] for k in ("plain", "dark", "blur")]
check(min(dull) >= 0.75, "dull surroundings found: IoU %s >= 0.75"
      % ", ".join("%.3f" % v for v in dull))
check(one["keep"] >= 4, "keeps %d of 8 well-framed photos" % one["keep"])
# The element as an application runs it (crop=multi mode=sync, its default
# crop-margin, which is the rule's 0.02) must advise what the rule does on
# the same frames: the same library scores them, only the input path
# differs (PNG, pngdec, videoconvert).  Its hysteresis must hold the box
# on the static scene streamed.
if a.element:
    el = fig["methods"]["element"]
    # Room for one of the 8 decisions to fall the other way on a near tie.
    check(abs(el["iou"] - one["iou"]) <= 0.07 and abs(el["keep"] - one["keep"]) <= 1,
          "the element advises as the rule: IoU %.3f vs %.3f, keep %d vs %d"
          % (el["iou"], one["iou"], el["keep"], one["keep"]))
    check(fig["element_static_moves"] <= 1, "the element's box moved %d times "
          "on the static scene" % fig["element_static_moves"])
