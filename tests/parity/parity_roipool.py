#!/usr/bin/python3
"""One trunk pass, many boxes (ilgnet_score_boxes) against direct references.

1. The whole frame at the model's own input size (227x227): the box
   model's score equals the model's (same windows, only the summation order
   differs: |diff| <= 1e-5), and each ROIAveragePooling output equals
   numpy's plain k x k / stride s average pooling of the trunk map
   (the AVE Pooling it replaced), to float rounding (rtol 1e-5).
2. A 640x360 frame (trunk at 227x404), the 55 anchors of the coarse grid
   (what ilgnet_model_box_anchors() gives a model whose boxes run the
   heads; a model with a framing map is checked without it): every box's
   pooled maps equal an independent numpy reference of the documented bin rule
   (window j of a box covering L cells spans [x0 + j*s*L/ref,
   x0 + (j*s+k)*L/ref), cells weighted by overlapped length), written as
   overlap matrices Wy @ X @ Wx^T, to float32 accumulation error
   (|diff| <= 1e-5 * (1 + max|x|)).
3. Scores are probabilities and the one-pass ranking of boxes agrees with
   crop-then-score (full pass per crop) better than chance (Spearman > 0):
   they are not equal by design (the trunk sees the surroundings; a crop
   is resized), so that is a sanity bound, not a tolerance.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HEADS = ["temp1/pool", "temp2/pool", "loss1/ave_pool"]


def header(path):
    with open(path, "rb") as f:
        f.read(16)
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def pool_params(hdr):
    out = {}
    for layer in hdr["layers"]:
        if layer["name"] in HEADS:
            p = layer["param"]
            assert p["pool"] == "ave" and list(p["pad"]) == [0, 0], layer
            out[layer["name"]] = (layer["bottom"][0], p["kernel"], p["stride"])
    assert len(out) == len(HEADS), out
    return out


def run(tool, model, w, h, frame, tmp, blobs, crops=False):
    path = os.path.join(tmp, "frame.rgb")
    frame.tofile(path)
    prefix = os.path.join(tmp, "b%dx%d-" % (w, h))
    cmd = [tool, model, path, str(w), str(h), "--dump", prefix, "-t", "2"]
    for b in blobs:
        cmd += ["--blob", b]
    if crops:
        cmd.append("--crops")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    shapes, rows = {}, []
    for line in out.splitlines():
        if line.startswith("# blob"):
            _, _, name, c, hh, ww = line.split()
            shapes[name] = (int(c), int(hh), int(ww))
        else:
            rows.append([float(v) for v in line.split()])
    rows = np.array(rows)
    vals = {}
    for i, b in enumerate(blobs):
        v = np.fromfile("%s%03d.f32" % (prefix, i), dtype=np.float32)
        vals[b] = v.reshape((-1,) + shapes[b])
    return rows, vals


def overlap_matrix(n, k, s, ref, b0, b1, size):
    """W[j, c]: length of window j inside cell c (box [b0, b1) in cells)."""
    scale = (b1 - b0) / ref
    j = np.arange(n)[:, None]
    s0 = b0 + j * s * scale
    s1 = b0 + (j * s + k) * scale
    c = np.arange(size)[None, :]
    return np.clip(np.minimum(c + 1.0, s1) - np.maximum(c, s0), 0, None)


def roi_reference(x, box, pooled, k, s, ref):
    c, h, w = x.shape
    wy = overlap_matrix(pooled[0], k[0], s[0], ref[0], box[1] * h, box[3] * h, h)
    wx = overlap_matrix(pooled[1], k[1], s[1], ref[1], box[0] * w, box[2] * w, w)
    num = np.einsum("yh,chw,xw->cyx", wy, x.astype(np.float64), wx)
    return num / (wy.sum(1)[:, None] * wx.sum(1)[None, :])


def smooth_frame(rng, w, h):
    f = rng.random((h // 8 + 2, w // 8 + 2, 3))
    f = np.kron(f, np.ones((8, 8, 1)))[:h, :w]
    f[h // 4:h // 2, w // 3:w // 2] = [0.8, 0.2, 0.2]
    return (f * 255).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--box-tool", required=True)
    ap.add_argument("--export", required=True, help="models/train/export.py")
    ap.add_argument("--convert", required=True, help="ilgnet-convert")
    a = ap.parse_args()
    if not os.path.exists(a.model):
        print("no %s: skipped" % a.model)
        return 77
    hdr = header(a.model)
    pp = pool_params(hdr)
    blobs = sorted({v[0] for v in pp.values()}) + HEADS
    rng = np.random.default_rng(7)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        # a model with a framing map whose boxes need no heads of their own
        # runs the heads for the whole frame only: the boxes' pooling is
        # checked on the network without its map
        if any(l["name"].startswith("framing/") for l in hdr["layers"]):
            model = os.path.join(tmp, "no-map.ilgnet")
            subprocess.run([sys.executable, a.export, "--from-model", a.model,
                            "--framing", "none", "-o", model, "--convert", a.convert],
                           check=True, capture_output=True)
            print("%s without its framing map" % os.path.basename(a.model))
            a.model = model
        # 1. whole frame at the model's own size
        rows, v = run(a.box_tool, a.model, 227, 227, smooth_frame(rng, 227, 227),
                      tmp, blobs, crops=True)
        d = abs(rows[0, 6] - rows[0, 7])
        print("whole frame 227x227: one pass %.7f, model %.7f, |diff| %.2g"
              % (rows[0, 6], rows[0, 7], d))
        ok &= d <= 1e-5
        refs = {}
        for head, (bottom, k, s) in pp.items():
            x = v[bottom][0]
            refs[head] = x.shape[1:]
            c, hh, ww = x.shape
            oh, ow = (hh - k[0]) // s[0] + 1, (ww - k[1]) // s[1] + 1
            ref = np.zeros((c, oh, ow))
            for i in range(oh):
                for j in range(ow):
                    ref[:, i, j] = x[:, i * s[0]:i * s[0] + k[0],
                                     j * s[1]:j * s[1] + k[1]].mean((1, 2))
            got = v[head][0]
            err = np.abs(got - ref).max() / (1 + np.abs(ref).max())
            print("  %s vs AVE k%s s%s of %s: rel err %.2g"
                  % (head, k, s, bottom, err))
            ok &= got.shape == ref.shape and err <= 1e-5
        # 2. a 16:9 frame, every anchor
        w, h = 640, 360
        rows, v = run(a.box_tool, a.model, w, h, smooth_frame(rng, w, h), tmp,
                      blobs, crops=True)
        print("640x360: %d boxes, trunk map %s" % (len(rows), v[blobs[0]].shape[1:]))
        ok &= len(rows) >= 49
        for head, (bottom, k, s) in pp.items():
            x = v[bottom][0]
            worst = 0.0
            for r in rows:
                i = int(r[1])
                box = (r[2] / w, r[3] / h, (r[2] + r[4]) / w, (r[3] + r[5]) / h)
                ref = roi_reference(x, box, v[head].shape[2:], k, s, refs[head])
                worst = max(worst, np.abs(v[head][i] - ref).max()
                            / (1 + np.abs(x).max()))
            print("  %s: worst rel err over boxes %.2g" % (head, worst))
            ok &= worst <= 1e-5
        sc, cs = rows[:, 6], rows[:, 7]
        ok &= bool(np.all((sc >= 0) & (sc <= 1)))
        rk = lambda z: np.argsort(np.argsort(z))
        rho = np.corrcoef(rk(sc), rk(cs))[0, 1]
        print("  one pass vs crop-then-score: Spearman %.2f, mean |diff| %.3f"
              % (rho, np.abs(sc - cs).mean()))
        ok &= rho > 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
