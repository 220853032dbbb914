#!/usr/bin/python3
"""The framing branch (issue 17, run 4) against a direct numpy reference.

A random framing network (the keys framing_cells.py --out writes) takes
the place of the default model's own by export.py --from-model --framing
(f32); the heads' scores come from the same network without a map
(--framing none).  For a
640x360 frame, an 824x454 one (inception_3b's map has an odd width there:
its last 2x2 cell is half padding) and a square one, ilgnet_score_boxes() of that model must equal, for every
anchor, the formula of src/framing-term.c computed here from scratch: the
network run in numpy on the trunk's maps (zero-padded, pooled 2x2,
divided by sd, k x k convolution, ReLU, 1x1), the cells' cover and edge bands of each box
from their own interval arithmetic, and the heads' scores of the model
without the branch (|diff| <= 2e-5 in probability: float32 sums over
~10^4 terms).  The whole frame's score must not move at all (1e-6), and a
branch of zeros must give every box the heads' own score.  Those models
weigh each box's own heads, so the library scores the coarse grid (55
anchors); a branch that weighs them by 0 (as the default model's) gets
all 276, from the whole frame's heads alone, and must give the formula's
scores on two frames in a row.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

C3B = 480
N_ANCHORS = 276         # ILGNET_N_ANCHORS


def run(tool, model, frame, w, h, tmp, blobs=()):
    path = os.path.join(tmp, "f.rgb")
    frame.tofile(path)
    # as many anchors as the library scores with the model
    # (ilgnet_model_box_anchors: the coarse grid when each box runs the heads)
    cmd = [tool, model, path, str(w), str(h), "-t", "2"]
    if blobs:
        cmd += ["--dump", os.path.join(tmp, "d"), "--first"]
        for b in blobs:
            cmd += ["--blob", b]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    shapes = [tuple(int(v) for v in l.split()[3:6]) for l in out.splitlines()
              if l.startswith("# blob")]
    rows = np.array([[float(v) for v in l.split()] for l in out.splitlines()
                     if not l.startswith("#")])
    maps = [np.fromfile(os.path.join(tmp, "d%03d.f32" % i), np.float32).reshape(s)
            for i, s in enumerate(shapes)]
    return rows[:, 2:6].astype(int), rows[:, 6], maps


def random_branch(path, hidden, k, seed, zero=False, use_a=True):
    r = np.random.default_rng(seed)
    z = 0.0 if zero else 1.0
    np.savez(path,
             **{"net.0.weight": z * r.normal(0, 0.05, (hidden, 992, k, k)).astype(np.float32),
                "net.0.bias": z * r.normal(0, 0.1, hidden).astype(np.float32),
                "net.2.weight": z * r.normal(0, 0.5, (3, hidden, 1, 1)).astype(np.float32),
                "net.2.bias": z * r.normal(0, 0.2, 3).astype(np.float32),
                "a": np.float32(r.normal(0, 1) if not zero else np.log(np.e - 1)),
                "use_a": use_a,
                "sd": r.uniform(0.5, 3, (1, 992, 1, 1)).astype(np.float32)})


def reference_maps(npz, m3b, m4a):
    """The branch's 3 maps and a, in float64, from its definition: a k x k
    convolution over [inception_3b pooled 2x2 ; inception_4a] / sd, both
    zero-padded (inception_3b by 2 pixels a cell), ReLU, 1x1."""
    z = np.load(npz)
    gh, gw = m4a.shape[1:]
    sd = z["sd"].reshape(-1, 1, 1).astype(np.float64)
    w1, b1 = z["net.0.weight"].astype(np.float64), z["net.0.bias"].astype(np.float64)
    k = w1.shape[2]
    p = k // 2
    x3 = np.pad(m3b.astype(np.float64), ((0, 0), (2 * p, 2 * p), (2 * p, 2 * p)))
    ph, pw = x3.shape[1] // 2, x3.shape[2] // 2
    p3 = x3[:, :2 * ph, :2 * pw].reshape(C3B, ph, 2, pw, 2).mean((2, 4)) / sd[:C3B]
    x4 = np.pad(m4a.astype(np.float64), ((0, 0), (p, p), (p, p))) / sd[C3B:]
    hid = np.zeros((w1.shape[0], gh, gw)) + b1[:, None, None]
    for dy in range(k):
        for dx in range(k):
            hid += np.einsum("oc,chw->ohw", w1[:, :C3B, dy, dx], p3[:, dy:dy + gh, dx:dx + gw])
            hid += np.einsum("oc,chw->ohw", w1[:, C3B:, dy, dx], x4[:, dy:dy + gh, dx:dx + gw])
    hid = np.maximum(hid, 0)
    out = np.einsum("oc,chw->ohw", z["net.2.weight"][:, :, 0, 0].astype(np.float64), hid) \
        + z["net.2.bias"].astype(np.float64)[:, None, None]
    a = np.log1p(np.exp(float(z["a"])))
    return out, a


def cell_cover(x0, x1, length, n):
    """Part of each of n equal cells of [0, length) inside [x0, x1)."""
    edges = np.linspace(0, length, n + 1)
    lo = np.maximum(edges[:-1], max(x0, 0))
    hi = np.minimum(edges[1:], min(x1, length))
    return np.maximum(hi - lo, 0) / (length / n)


def reference_scores(maps, a, rects, heads, W, H):
    s, v, hz = maps
    gh, gw = s.shape
    cw, ch = W / gw / 2, H / gh / 2

    def t(x, y, w, h):
        keep = np.outer(cell_cover(y, y + h, H, gh), cell_cover(x, x + w, W, gw))
        val = -(s * (1 - keep)).sum()
        for ex in (x, x + w):
            val += (v * np.outer(cell_cover(y, y + h, H, gh),
                                 cell_cover(ex - cw, ex + cw, W, gw))).sum()
        for ey in (y, y + h):
            val += (hz * np.outer(cell_cover(ey - ch, ey + ch, H, gh),
                                  cell_cover(x, x + w, W, gw))).sum()
        return val / (gh * gw)

    lg = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))
    l0 = lg(heads[0])
    t0 = t(0, 0, W, H)
    z = np.array([l0 + a * (lg(p) - l0) + t(*r) - t0 for r, p in zip(rects, heads)])
    return 1 / (1 + np.exp(-z))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--box-tool", required=True)
    ap.add_argument("--export", required=True, help="models/train/export.py")
    ap.add_argument("--convert", required=True, help="ilgnet-convert")
    a = ap.parse_args()
    fails = 0
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        for tag, zero in (("base", None), ("random", False), ("zero", True), ("a0", False)):
            npz = os.path.join(tmp, tag + ".npz")
            if zero is None:
                npz = "none"        # the network without a framing map
            else:
                random_branch(npz, 8, 3, 5, zero, use_a=tag != "a0")
            out = os.path.join(tmp, tag + ".ilgnet")
            subprocess.run([sys.executable, a.export, "--from-model", a.model,
                            "--framing", npz, "--dtype", "f32", "-o", out,
                            "--convert", a.convert], check=True,
                           capture_output=True)
            models[tag] = (out, npz)
        base = models["base"][0]
        for W, H in ((640, 360), (824, 454), (300, 300)):
            # a picture with structure: smooth blobs, an edge, noise
            yy, xx = np.mgrid[0:H, 0:W]
            frame = np.stack([128 + 80 * np.sin(xx / (17 + c) + yy / (29 - c))
                              for c in range(3)], 2)
            frame[:, W // 3:] *= 0.4
            frame = np.clip(frame + rng.normal(0, 6, frame.shape), 0, 255).astype(np.uint8)
            rects, heads, _ = run(a.box_tool, base, frame, W, H, tmp)
            got_r, got, maps = run(a.box_tool, models["random"][0], frame, W, H, tmp,
                                   ["inception_3b/output", "inception_4a/output"])
            assert (got_r == rects).all()
            ref_maps, aa = reference_maps(models["random"][1], maps[0][0] if maps[0].ndim == 4
                                          else maps[0], maps[1])
            ref = reference_scores(ref_maps, aa, rects, heads, W, H)
            d = np.abs(got - ref).max()
            ok = d <= 2e-5 and abs(got[0] - heads[0]) <= 1e-6 and np.ptp(got) > 0.01
            print("%dx%d, %d boxes: max |score - reference| %.2e, whole frame %.7f vs "
                  "%.7f, spread %.3f: %s" % (W, H, len(rects), d, got[0], heads[0],
                                              np.ptp(got), "ok" if ok else "FAIL"))
            fails += not ok
            _, zgot, _ = run(a.box_tool, models["zero"][0], frame, W, H, tmp)
            dz = np.abs(zgot - heads).max()
            okz = dz <= 2e-5
            print("  zero branch, own score weight 1: max |score - heads'| %.2e: %s"
                  % (dz, "ok" if okz else "FAIL"))
            fails += not okz
            # a = 0 (trained without the boxes' own scores): all 276 anchors,
            # only the whole frame's heads run; two frames (the second
            # reuses the session)
            rows, two, _ = run(a.box_tool, models["a0"][0], np.stack([frame, frame]),
                               W, H, tmp)
            n = len(rows) // 2
            ref0 = reference_scores(ref_maps, 0.0, rows[:n], [heads[0]] * n, W, H)
            d0 = max(np.abs(two[:n] - ref0).max(), np.abs(two[n:] - ref0).max())
            ok0 = d0 <= 2e-5 and n == N_ANCHORS and (rows[n:] == rows[:n]).all()
            print("  own score weight 0, %d anchors, two frames: max |score - reference| "
                  "%.2e: %s" % (n, d0, "ok" if ok0 else "FAIL"))
            fails += not ok0
    print("framing parity: %s" % ("ok" if not fails else "%d FAILED" % fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
