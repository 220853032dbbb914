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
         "--limit", "8", "--json", out], timeout=600)
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
# The shipped (degradation-trained) model frames badly: its one-pass
# suggestion scored 0.414 on these 8 photos (0.303 on all 31), below the
# whole frame and the centred crop (README).  Checked: it stays a real
# suggestion (not worse than 0.30), keeps at least one well-framed photo,
# and the figures above; the targets (IoU >= 0.75, +0.10 over
# both baselines, keep >= 80 %) are not met and not asserted.
check(one["iou"] >= 0.30, "suggestion IoU %.3f >= 0.30 (whole %.3f, centred %.3f)"
      % (one["iou"], fig["whole_iou"], fig["centre_iou"]))
check(one["keep"] >= 1, "keeps %d of 8 well-framed photos" % one["keep"])
