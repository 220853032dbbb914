#!/usr/bin/python3
"""How good the one-pass crop suggestion is, on cases with a known answer.

    framing-eval.py --photos WORKDIR/cache/test.npz --box-tool ilgnet-box-dump
                    [--model M] [--limit N] [--crops] [--json OUT]
                    [--pictures OUT.jpg]
    framing-eval.py --video CLIP --box-tool ilgnet-box-dump --pictures OUT.jpg

Cases (built cases with a known answer, as framing studies test without
human labels), from the project's TEST photographs only (models/train/photos.py
WORKDIR --test; never training or validation photos):
  * framed: a test photo, centre-cut to 16:9, placed as a 70 % crop
    (448 x 252) at a random position of a 640 x 360 frame whose rest is
    badly framed surroundings, one of three kinds in turn (not tuned to one):
      zoom   - the photo itself zoomed out: its reflection continues past
               its edges (a wider, unbalanced view of the same scene),
      other  - another test photo, tilted 8 degrees (a cluttered
               neighbouring view),
      plain  - a flat wall with sensor noise (a subject pushed off-centre),
      dark   - another test photo at a sixth of its brightness with sensor
               noise (the subject lit, the room around it dark),
      blur   - another test photo out of focus (a shallow-focus background
               the framing leaves in);
    the known best crop is the placed photo.
  * keep: the test photo itself filling the frame (already well framed):
    the suggestion should be the whole frame.
  * static: one framed case, 12 frames of fresh sensor noise (sigma 4): how
    often the suggested box moves between consecutive frames.
Every frame's candidates (ilgnet_frame_anchors: the whole frame, then 11
sizes x 5 x 5 positions, 276 with the default model; the coarse 55, 6
sizes x 3 x 3, for a model whose boxes run the heads) are scored from one
trunk pass
(ilgnet_score_boxes, via the ilgnet-box-dump tool; with the model's
framing map, what each candidate discards, when it has one); --crops also scores
each candidate by a full pass of its crop (the costly reference); --old
scores the element's crop=multi candidates (ilgnet_multi_crops, 16) by
full passes, the method this replaces.

--pictures draws the first case of each kind and a well-framed one, the
suggestion over the frame (cyan; the frame outlined green when it says
keep), the known crop in white.  --video takes its "photos" from a video
(a frame every second: the project's own sample clip, for pictures that
hold nothing of anybody else's) instead of the test photos.

Suggestion rule (fixed before measuring): the best-scoring candidate, but
the whole frame unless the best beats it by more than MARGIN (0.02): a
crop is only advised when the net is clearly surer of it.  Printed: mean
IoU with the known crop of the suggestion, of the whole frame and of a
centred 70 % crop; the best IoU any candidate reaches (the anchors'
ceiling); the keep rate; box moves on the static scene.  --element also
runs the `ilgnet` element as an application does (crop=multi mode=sync,
crop-margin MARGIN, six frames of each case): its suggestion must be the
rule's, and on the static scene streamed its hysteresis holds the box.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

W, H = 640, 360
SIDE = 0.7
MARGIN = 0.02
KINDS = ("zoom", "other", "plain", "dark", "blur")


def load_photos(path):
    z = np.load(path)
    names = list(z["names"])
    return [z["img%03d" % i] for i in range(len(names))], names


def cut_16x9(img):
    h, w = img.shape[:2]
    if w * 9 > h * 16:
        cw = h * 16 // 9
        return img[:, (w - cw) // 2:(w - cw) // 2 + cw]
    ch = w * 9 // 16
    return img[(h - ch) // 2:(h - ch) // 2 + ch]


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def framed_case(photos, i, rng):
    """Frame (BGR uint8) and the known crop (x, y, w, h)."""
    kind = KINDS[i % len(KINDS)]
    cw, ch = int(round(W * SIDE)), int(round(H * SIDE))
    x, y = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
    photo = cv2.resize(cut_16x9(photos[i]), (cw, ch), interpolation=cv2.INTER_AREA)
    if kind == "zoom":
        frame = cv2.copyMakeBorder(photo, y, H - ch - y, x, W - cw - x,
                                   cv2.BORDER_REFLECT_101)
    elif kind == "other":
        other = cut_16x9(photos[(i + 7) % len(photos)])
        other = cv2.resize(other, (W, H), interpolation=cv2.INTER_AREA)
        rot = cv2.getRotationMatrix2D((W / 2, H / 2), 8.0, 1.15)
        frame = cv2.warpAffine(other, rot, (W, H), borderMode=cv2.BORDER_REFLECT)
    elif kind in ("dark", "blur"):
        other = cut_16x9(photos[(i + 11) % len(photos)])
        other = cv2.resize(other, (W, H), interpolation=cv2.INTER_AREA)
        if kind == "dark":
            frame = np.clip(other.astype(np.float32) / 6 + rng.normal(0, 3, other.shape),
                            0, 255).astype(np.uint8)
        else:
            frame = cv2.GaussianBlur(other, (0, 0), 9)
    else:
        wall = np.array(rng.integers(60, 200, 3), np.float32)
        frame = np.clip(wall + rng.normal(0, 4, (H, W, 3)), 0, 255).astype(np.uint8)
    frame = frame.copy()
    frame[y:y + ch, x:x + cw] = photo
    return frame, (x, y, cw, ch), kind


def keep_case(photos, i):
    return cv2.resize(cut_16x9(photos[i]), (W, H), interpolation=cv2.INTER_AREA)


def score_frames(tool, model, frames, tmp, crops=False, multi=False):
    """Per frame: (rects, one-pass scores, crop scores or None); with
    @multi, crop=multi's 16 candidates scored by full passes instead."""
    path = os.path.join(tmp, "frames.rgb")
    np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in frames]).tofile(path)
    cmd = [tool, model, path, str(W), str(H), "--time"]
    if crops:
        cmd.append("--crops")
    if multi:
        cmd.append("--multi")
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    sys.stderr.write(p.stderr)
    rows = np.array([[float(v) for v in l.split()] for l in p.stdout.splitlines()])
    out = []
    for f in range(len(frames)):
        r = rows[rows[:, 0] == f]
        out.append((r[:, 2:6].astype(int), r[:, 6], r[:, 7] if crops else None))
    return out


def element_runs(model, frames, tmp, n_frames=6):
    """The `ilgnet` element itself, as an application runs it (crop=multi
    mode=sync interval=0, crop-margin MARGIN, its other defaults): each of
    @frames shown for @n_frames frames, or with n_frames=0 all of @frames
    as one stream.  Per stream, its results' (crop x, y, w, h, keep)."""
    def launch(location, extra, n):
        out = os.path.join(tmp, "scores.jsonl")
        if os.path.exists(out):
            os.remove(out)
        cmd = ["gst-launch-1.0", "-q", "multifilesrc", "location=" + location,
               "caps=image/png,framerate=30/1"] + extra + [
               "!", "pngdec", "!", "videoconvert", "!", "ilgnet", "model=" + model,
               "crop=multi", "mode=sync", "interval=0", "crop-margin=%g" % MARGIN,
               "location=" + out, "!", "fakesink"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("framing-eval.py: the ilgnet element failed (is it on "
                     "GST_PLUGIN_PATH?): %s" % (p.stderr.strip().splitlines() or [""])[-1])
        recs = [json.loads(l) for l in open(out) if l.strip()] \
            if os.path.exists(out) else []
        if len(recs) != n:
            sys.exit("framing-eval.py: the element gave %d results for %d frames"
                     % (len(recs), n))
        return [((r["crop"]["x"], r["crop"]["y"], r["crop"]["width"],
                  r["crop"]["height"]), r["keep_framing"]) for r in recs]

    if n_frames == 0:
        for i, f in enumerate(frames):
            cv2.imwrite(os.path.join(tmp, "stream%03d.png" % i), f)
        return [launch(os.path.join(tmp, "stream%03d.png"), [], len(frames))]
    runs = []
    for f in frames:
        png = os.path.join(tmp, "frame.png")
        cv2.imwrite(png, f)
        runs.append(launch(png, ["loop=true", "num-buffers=%d" % n_frames], n_frames))
    return runs


def method_figures(cases, ious, keeps):
    """A method's figures: mean IoU over the framed @cases (and by kind of
    surroundings) from @ious, and how many of the well-framed photos it
    kept (@keeps: one bool each)."""
    kinds = {}
    for (_, _, kind), v in zip(cases, ious):
        kinds.setdefault(kind, []).append(v)
    keep = int(sum(keeps))
    return {"iou": float(np.mean(ious)),
            "iou_by_kind": {k: float(np.mean(v)) for k, v in kinds.items()},
            "keep": keep, "keep_rate": keep / len(keeps)}


def suggest(rects, scores):
    """Index of the suggested candidate (rects[0] is the whole frame)."""
    best = int(np.argmax(scores))
    return best if scores[best] > scores[0] + MARGIN else 0


def video_photos(path, n=40):
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25
    out, i = [], 0
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        if i % int(round(fps)) == 0:
            out.append(f)
        i += 1
    if not out:
        sys.exit("framing-eval.py: no frames in %s" % path)
    return out, ["frame%03d" % k for k in range(len(out))]


def pictures(path, cases, keeps, res, n):
    """A 3 x 2 sheet at half size: a case of each kind, then a well-framed
    photo; the suggestion cyan (or the frame green: keep), the known crop
    white."""
    tiles = []
    for kind in KINDS:
        i = next((i for i, c in enumerate(cases) if c[2] == kind), None)
        if i is not None:
            tiles.append((cases[i][0], cases[i][1], res[i], kind))
    if keeps:
        tiles.append((keeps[0], (0, 0, W, H), res[n], "well framed"))
    sheet = []
    for frame, known, (rects, sc, _), label in tiles[:6]:
        img = frame.copy()
        x, y, w, h = known
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), (255, 255, 255), 2)
        k = suggest(rects, sc)
        if k == 0:
            cv2.rectangle(img, (3, 3), (W - 4, H - 4), (0, 200, 0), 6)
        else:
            x, y, w, h = (int(v) for v in rects[k])
            cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), (255, 255, 0), 4)
        text = "%s: IoU %.2f%s" % (label, iou(rects[k], known), "  keep" if k == 0 else "")
        cv2.putText(img, text, (12, H - 16), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 5)
        cv2.putText(img, text, (12, H - 16), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
        sheet.append(cv2.resize(img, (W // 2, H // 2), interpolation=cv2.INTER_AREA))
    while len(sheet) % 3:
        sheet.append(np.zeros_like(sheet[0]))
    rows = [np.concatenate(sheet[r:r + 3], 1) for r in range(0, len(sheet), 3)]
    cv2.imwrite(path, np.concatenate(rows, 0), [cv2.IMWRITE_JPEG_QUALITY, 85])


def main():
    global MARGIN
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", help="test.npz of photos.py --test")
    ap.add_argument("--video", help="frames of this video as the photos (for --pictures)")
    ap.add_argument("--pictures", help="draw a few cases into this image")
    ap.add_argument("--box-tool", required=True, help="ilgnet-box-dump")
    ap.add_argument("--model", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "models",
        "default.ilgnet"))
    ap.add_argument("--limit", type=int, default=0, help="first N photos only")
    ap.add_argument("--crops", action="store_true",
                    help="also rank by a full pass per candidate (slow)")
    ap.add_argument("--old", action="store_true",
                    help="also crop=multi's 16 candidates by full passes (the old method)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--margin", type=float, default=MARGIN,
                    help="the suggestion rule's margin (default %.2f, fixed for the "
                    "published figures; the element's crop-margin default too)" % MARGIN)
    ap.add_argument("--element", action="store_true",
                    help="also the ilgnet element's own suggestion (gst-launch-1.0, "
                    "crop-margin MARGIN; 6 frames of each case, the static scene as "
                    "a stream)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    MARGIN = a.margin
    if a.video:
        photos, names = video_photos(a.video)
    elif not a.photos or not os.path.basename(a.photos).startswith("test"):
        sys.exit("framing-eval.py: give the TEST photos (photos.py --test: test.npz)")
    else:
        photos, names = load_photos(a.photos)
    n = min(a.limit, len(photos)) if a.limit else len(photos)
    rng = np.random.default_rng(a.seed)
    cases = [framed_case(photos, i, rng) for i in range(n)]
    keeps = [keep_case(photos, i) for i in range(n)]
    base = cases[0][0].astype(np.float32)
    static = [np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
              for _ in range(12)]
    with tempfile.TemporaryDirectory() as tmp:
        res = score_frames(a.box_tool, a.model, [c[0] for c in cases] + keeps,
                           tmp, a.crops)
        st = score_frames(a.box_tool, a.model, static, tmp)
        old = score_frames(a.box_tool, a.model, [c[0] for c in cases] + keeps,
                           tmp, multi=True) if a.old else None
        if a.element:
            el = element_runs(a.model, [c[0] for c in cases] + keeps, tmp)
            el_static = element_runs(a.model, static, tmp, n_frames=0)[0]
    cw, ch = int(round(W * SIDE)), int(round(H * SIDE))
    centre = ((W - cw) // 2, (H - ch) // 2, cw, ch)
    fig = {"n": n, "methods": {}}
    methods = [("one-pass", 1, res)] + ([("per-crop", 2, res)] if a.crops else []) \
        + ([("crop=multi (16)", 1, old)] if old else [])
    for name, col, rr in methods:
        ious = [iou(r[0][suggest(r[0], r[col])], target)
                for (_, target, _), r in zip(cases, rr[:n])]
        keeps = [suggest(r[0], r[col]) == 0 for r in rr[n:]]
        fig["methods"][name] = method_figures(cases, ious, keeps)
    if a.element:
        # The last of each case's results: the suggestion after 6 frames.
        fig["methods"]["element"] = method_figures(
            cases, [iou(r[-1][0], c[1]) for c, r in zip(cases, el[:n])],
            [r[-1][1] for r in el[n:]])
        boxes = [r[0] for r in el_static]
        fig["element_static_moves"] = sum(p != q for p, q in zip(boxes, boxes[1:]))
    fig["whole_iou"] = float(np.mean([iou((0, 0, W, H), c[1]) for c in cases]))
    fig["centre_iou"] = float(np.mean([iou(centre, c[1]) for c in cases]))
    fig["ceiling_iou"] = float(np.mean([max(iou(tuple(b), c[1]) for b in r[0])
                                        for c, r in zip(cases, res[:n])]))
    picks = [tuple(r[0][suggest(r[0], r[1])]) for r in st]
    fig["static_moves"] = sum(p != q for p, q in zip(picks, picks[1:]))
    fig["static_pairs"] = len(picks) - 1
    print("%d %s (%s), %d candidates a frame, margin %.2f"
          % (n, "video frames" if a.video else "test photos", ", ".join(KINDS),
             len(res[0][0]), MARGIN))
    print("%-22s %s" % ("mean IoU, whole frame", "%.3f" % fig["whole_iou"]))
    print("%-22s %s" % ("mean IoU, centred crop", "%.3f" % fig["centre_iou"]))
    print("%-22s %s" % ("mean IoU, best anchor", "%.3f" % fig["ceiling_iou"]))
    for name, m in fig["methods"].items():
        print("%-22s %.3f  (%s)  keep %d/%d (%.0f%%)" % (
            "mean IoU, " + name, m["iou"],
            ", ".join("%s %.3f" % kv for kv in sorted(m["iou_by_kind"].items())),
            m["keep"], n, 100 * m["keep_rate"]))
    print("static noisy scene: box moved %d of %d frame pairs"
          % (fig["static_moves"], fig["static_pairs"]))
    if a.element:
        print("static noisy scene, the element's stream: box moved %d of %d "
              "frame pairs" % (fig["element_static_moves"], fig["static_pairs"]))
    if a.pictures:
        pictures(a.pictures, cases, keeps, res, n)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
