#!/usr/bin/python3
"""Fine-tunes only the heads of a .ilgnet model for framing (trunk frozen).

    framing_heads.py WORKDIR --box-tool ilgnet-box-dump --model IN.ilgnet
                     --out OUT.ilgnet [--steps N]

The heads (temp1, temp2, loss1/conv, temp3, temp_cjy, the classifier) see
the trunk's maps through ROIAveragePooling (libilgnet's one-pass boxes), so
their inputs are cached once per training frame by running the model's
trunk in libilgnet (ilgnet-box-dump --dump: exactly what the runtime feeds
them) and training is a few minutes on a CPU.  Pairs, all from TRAINING
photos (photos.py WORKDIR: cache/train.npz; validation/test never used):

  composition (VFN style: the photographer's framing ranks above views
  derived from it; several kinds, none the evaluation's exact recipe):
    * the photo placed at an anchor box of a 640x360 frame inside designed
      surroundings (its own reflection = zoomed-out view; a tilted other
      photo; a blurred enlargement of itself; a flat noisy wall; a mosaic
      of other photos): that anchor > the whole frame (zoomed out) and >
      anchors cutting it or adding surroundings (IoU < 0.6);
    * the photo filling the frame: the whole frame > its sub-crops (cut
      subject) and > the same photo shifted or tilted (a second frame);
  degradation (train.py's make_pair at 227x227, whole frame = the model):
    pristine > degraded, plus the original model's logit kept
    (distillation) so that the degradation results hold.

Loss: pairwise hinge on the logit difference (margin 1) + 0.5 x squared
distance to the original logits on the degradation images.  The new heads
are written into a copy of the model file (same tensors, dtypes, layout;
header name/provenance updated).  Features are cached in
WORKDIR/framing/ (resume-able: finished chunks are kept).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import photos  # noqa: E402
import train  # noqa: E402

W, H = 640, 360
HEADS = ["temp1/pool", "temp2/pool", "loss1/ave_pool"]
SHAPES = [(256, 7, 7), (480, 7, 7), (512, 4, 4)]
MEAN_BGR = np.array([91.0, 99.46, 107.85], np.float32)
TENSORS = ["temp1.weight", "temp1.bias", "temp2.weight", "temp2.bias",
           "loss1/conv.weight", "loss1/conv.bias", "temp3.weight", "temp3.bias",
           "temp_cjy.weight", "temp_cjy.bias", "loss1/classifier_cjy.weight",
           "loss1/classifier_cjy.bias"]


def framing_eval():
    """examples/framing/framing-eval.py as a module: its cases, suggestion
    rule and IoU, shared by the framing training scripts."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "fe", os.path.join(HERE, "..", "..", "examples", "framing", "framing-eval.py"))
    fe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fe)
    return fe


# ---- the model file ---------------------------------------------------------

def read_model(path):
    data = open(path, "rb").read()
    (hlen,) = struct.unpack("<Q", data[16:24])
    hdr = json.loads(data[24:24 + hlen])
    base = 24 + hlen
    return data, hdr, base


def tensor(data, hdr, base, name):
    t = hdr["tensors"][name]
    dt = {"f32": np.float32, "f16": np.float16}[t["dtype"]]
    raw = np.frombuffer(data, dt, count=int(np.prod(t["shape"])),
                        offset=base + t["offset"])
    return raw.astype(np.float32).reshape(t["shape"])


def write_model(src, dst, params, note):
    data, hdr, base = read_model(src)
    out = bytearray(data[base:])
    for name, v in params.items():
        t = hdr["tensors"][name]
        dt = {"f32": np.float32, "f16": np.float16}[t["dtype"]]
        b = np.ascontiguousarray(v.reshape(t["shape"]).astype(dt)).tobytes()
        assert len(b) == t["nbytes"], name
        out[t["offset"]:t["offset"] + len(b)] = b
    hdr["provenance"] = hdr.get("provenance", "") + "; " + note
    js = json.dumps(hdr, separators=(",", ":")).encode()
    pad = (-(24 + len(js))) % 64
    js += b" " * pad
    with open(dst, "wb") as f:
        f.write(data[:16] + struct.pack("<Q", len(js)) + js + bytes(out))


class Heads(torch.nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = torch.nn.ParameterDict(
            {k.replace("/", "_").replace(".", "_"): torch.nn.Parameter(torch.from_numpy(v.copy()))
             for k, v in p.items()})

    def w(self, name):
        return self.p[name.replace("/", "_").replace(".", "_")]

    def forward(self, x1, x2, x3):
        r = torch.relu
        t1 = r(x1.flatten(1) @ self.w("temp1.weight").T + self.w("temp1.bias"))
        t2 = r(x2.flatten(1) @ self.w("temp2.weight").T + self.w("temp2.bias"))
        c = torch.einsum("nchw,oc->nohw", x3, self.w("loss1/conv.weight")[:, :, 0, 0])
        c = r(c + self.w("loss1/conv.bias")[None, :, None, None])
        t3 = r(c.flatten(1) @ self.w("temp3.weight").T + self.w("temp3.bias"))
        t = r(torch.cat([t1, t2, t3], 1) @ self.w("temp_cjy.weight").T + self.w("temp_cjy.bias"))
        z = t @ self.w("loss1/classifier_cjy.weight").T + self.w("loss1/classifier_cjy.bias")
        return z[:, 1] - z[:, 0]


# ---- frames -----------------------------------------------------------------

def anchors(w, h, coarse=False):
    """ilgnet_frame_anchors(): the whole frame, then 11 sizes (1/2 to
    11/12 of each side, steps of 1/24) at 5 x 5 positions, the coarse grid
    (every other size and position, 55 with the whole frame) first; only
    that grid with @coarse."""
    out = [(0, 0, w, h)]
    for coarse_pass in (True, False):
        if not coarse_pass and coarse:
            break
        for k in range(11):
            s = 0.5 + k / 24.0
            cw, ch = max(1, int(np.floor(w * s + 0.5))), max(1, int(np.floor(h * s + 0.5)))
            for gy in range(5):
                for gx in range(5):
                    if (k % 2 == 0 and gx % 2 == 0 and gy % 2 == 0) != coarse_pass:
                        continue
                    out.append(((w - cw) * gx // 4, (h - ch) * gy // 4, cw, ch))
    return out


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def cut(img, aspect, rng, jitter=0.1):
    h, w = img.shape[:2]
    if w > h * aspect:
        cw, ch = int(h * aspect), h
    else:
        cw, ch = w, int(w / aspect)
    x = (w - cw) // 2 + int(rng.uniform(-jitter, jitter) * (w - cw))
    y = (h - ch) // 2 + int(rng.uniform(-jitter, jitter) * (h - ch))
    x, y = int(np.clip(x, 0, w - cw)), int(np.clip(y, 0, h - ch))
    return img[y:y + ch, x:x + cw]


def surroundings(kind, photo, others, rng, box):
    x, y, cw, ch = box
    if kind == "reflect":
        return cv2.copyMakeBorder(photo, y, H - ch - y, x, W - cw - x,
                                  cv2.BORDER_REFLECT_101)
    if kind == "tilted":
        o = cv2.resize(cut(others[0], W / H, rng), (W, H), interpolation=cv2.INTER_AREA)
        rot = cv2.getRotationMatrix2D((W / 2, H / 2), rng.uniform(-12, 12),
                                      rng.uniform(1.1, 1.3))
        return cv2.warpAffine(o, rot, (W, H), borderMode=cv2.BORDER_REFLECT)
    if kind == "blur":
        big = cv2.resize(photo, (W, H), interpolation=cv2.INTER_LINEAR)
        return cv2.GaussianBlur(big, (0, 0), rng.uniform(6, 16))
    if kind == "wall":
        c = rng.integers(30, 225, 3).astype(np.float32)
        grad = np.linspace(rng.uniform(0.8, 1), rng.uniform(1, 1.2), W)[None, :, None]
        return np.clip(c * grad + rng.normal(0, rng.uniform(1, 6), (H, W, 3)),
                       0, 255).astype(np.uint8)
    # mosaic of two other photos, side by side
    a = cv2.resize(cut(others[0], W / 2 / H, rng), (W // 2, H), interpolation=cv2.INTER_AREA)
    b = cv2.resize(cut(others[1], W / 2 / H, rng), (W - W // 2, H), interpolation=cv2.INTER_AREA)
    return np.concatenate([a, b], 1)


KINDS = ("reflect", "tilted", "blur", "wall", "mosaic")


def composition_frames(photo_list, rng, per_photo, neg_iou=0.6, full_side=0.76):
    """Frames and their (positive box index, negative box indices) lists
    over the anchors of the frame; plus cross-frame pairs (frame i whole >
    frame j whole)."""
    A = anchors(W, H, coarse=True)     # runs 1-3 scored the 55 through the heads
    frames, pairs, cross = [], [], []
    for i, img in enumerate(photo_list):
        others = [photo_list[j] for j in rng.choice(
            [j for j in range(len(photo_list)) if j != i], 2, replace=False)]
        for r in range(per_photo):
            pos = int(rng.integers(1, 37))          # scales 0.5 .. 0.75
            box = A[pos]
            photo = cv2.resize(cut(img, W / H, rng), box[2:], interpolation=cv2.INTER_AREA)
            kind = KINDS[(i * per_photo + r) % len(KINDS)]
            frame = surroundings(kind, photo, others, rng, box).copy()
            frame[box[1]:box[1] + box[3], box[0]:box[0] + box[2]] = photo
            negs = [k for k in range(len(A)) if k != pos and iou(A[k], box) < neg_iou]
            negs = [0] + list(rng.choice([k for k in negs if k != 0], 9, replace=False))
            frames.append(frame)
            pairs.append((pos, negs))
        # the photo filling the frame: whole > sub-crops; whole > shifted/tilted
        full = cv2.resize(cut(img, W / H, rng, 0.05), (W, H), interpolation=cv2.INTER_AREA)
        small = [k for k in range(1, len(A)) if A[k][2] <= W * full_side]
        frames.append(full)
        pairs.append((0, list(rng.choice(small, 8, replace=False))))
        if rng.random() < 0.5:
            dx, dy = rng.uniform(0.15, 0.3) * rng.choice([-1, 1]), rng.uniform(-0.15, 0.15)
            m = np.float32([[1, 0, dx * W], [0, 1, dy * H]])
        else:
            m = cv2.getRotationMatrix2D((W / 2, H / 2), rng.uniform(6, 15) * rng.choice([-1, 1]), 1.0)
        moved = cv2.warpAffine(full, m, (W, H), borderMode=cv2.BORDER_REFLECT)
        frames.append(moved)
        pairs.append((0, []))
        cross.append((len(frames) - 2, len(frames) - 1))
    return frames, pairs, cross


def extract(tool, model, frames, w, h, nboxes, keep, outdir, tag, chunk=16):
    """Pooled head inputs of boxes keep[f] of each frame, as float16 arrays
    per head; cached per chunk in outdir."""
    feats = [[] for _ in HEADS]
    for c0 in range(0, len(frames), chunk):
        path = os.path.join(outdir, "%s-%05d.npz" % (tag, c0))
        if not os.path.exists(path):
            with tempfile.TemporaryDirectory(dir=outdir) as tmp:
                fr = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in frames[c0:c0 + chunk]])
                fr.tofile(os.path.join(tmp, "f.rgb"))
                cmd = ["nice", "-n", "10", tool, model, os.path.join(tmp, "f.rgb"), str(w), str(h),
                       "--boxes", str(nboxes), "--dump", os.path.join(tmp, "d"), "-t", "2"]
                for b in HEADS:
                    cmd += ["--blob", b]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                scores = [float(l.split()[6]) for l in out.splitlines() if not l.startswith("#")]
                got = {}
                nf = len(fr)
                for f in range(nf):
                    for b, shape in enumerate(SHAPES):
                        name = os.path.join(tmp, "d%04d-%03d.f32" % (f, b)) if nf > 1 \
                            else os.path.join(tmp, "d%03d.f32" % b)
                        v = np.fromfile(name, np.float32).reshape((nboxes,) + shape)
                        got.setdefault(b, []).append(v[keep[c0 + f]].astype(np.float16))
                np.savez(path, *[np.concatenate(got[b]) for b in range(len(HEADS))],
                         scores=np.array(scores, np.float32).reshape(nf, nboxes))
        z = np.load(path)
        for b in range(len(HEADS)):
            feats[b].append(z["arr_%d" % b])
        print("  %s: %d/%d frames" % (tag, min(c0 + chunk, len(frames)), len(frames)), flush=True)
    return [np.concatenate(f) for f in feats]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--box-tool", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-photo", type=int, default=3)
    ap.add_argument("--degrade-pairs", type=int, default=1200)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--distill", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--neg-iou", type=float, default=0.6,
                    help="anchors below this IoU with the placed photo are its negatives")
    ap.add_argument("--full-side", type=float, default=0.76,
                    help="sub-crops up to this side ranked below a photo filling the frame")
    ap.add_argument("--tag", default="comp", help="feature cache name of the composition frames")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(2)
    outdir = os.path.join(a.workdir, "framing")
    os.makedirs(outdir, exist_ok=True)
    train_photos, _ = photos.load(os.path.join(a.workdir, "cache", "train.npz"))
    rng = np.random.default_rng(a.seed)

    # composition frames: boxes kept per frame = positive + negatives
    frames, pairs, cross = composition_frames(train_photos, rng, a.per_photo,
                                              a.neg_iou, a.full_side)
    keep = [[p] + list(n) for p, n in pairs]
    print("composition: %d frames from %d training photos" % (len(frames), len(train_photos)))
    comp = extract(a.box_tool, a.model, frames, W, H, 55, keep, outdir, a.tag)
    # degradation pairs at the model's own input (whole frame = the model)
    kinds, probs = train.kind_probs()
    dfr = []
    for _ in range(a.degrade_pairs):
        g, b, _ = train.make_pair(train_photos, rng, 227, kinds, probs, 0.35, 0.0)
        for x in (g, b):
            dfr.append(np.clip(x.transpose(1, 2, 0) + MEAN_BGR, 0, 255).round().astype(np.uint8))
    deg = extract(a.box_tool, a.model, dfr, 227, 227, 1, [[0]] * len(dfr), outdir, "deg")

    data, hdr, base = read_model(a.model)
    params = {k: tensor(data, hdr, base, k) for k in TENSORS}
    heads = Heads(params)
    T = [torch.from_numpy(f.astype(np.float32)) for f in comp]
    D = [torch.from_numpy(f.astype(np.float32)) for f in deg]
    with torch.no_grad():
        # the heads here must be libilgnet's: compare with its scores
        s0 = np.load(os.path.join(outdir, "deg-00000.npz"))["scores"][:, 0]
        mine = torch.sigmoid(heads(*[t[:len(s0)] for t in D])).numpy()
        print("heads vs libilgnet: max |diff| %.2g" % np.abs(mine - s0).max())
        assert np.abs(mine - s0).max() < 5e-3
        d0 = torch.cat([heads(*[t[i:i + 256] for t in D]) for i in range(0, len(D[0]), 256)])
    # offsets of each frame's boxes in the composition features
    off = np.cumsum([0] + [len(k) for k in keep])
    comp_pairs = [(off[f] + 0, off[f] + j) for f in range(len(keep)) for j in range(1, len(keep[f]))]
    comp_pairs += [(off[i], off[j]) for i, j in cross]
    comp_pairs = np.array(comp_pairs)
    deg_pairs = np.array([(2 * i, 2 * i + 1) for i in range(len(dfr) // 2)])
    print("pairs: %d composition, %d degradation" % (len(comp_pairs), len(deg_pairs)))
    opt = torch.optim.Adam(heads.parameters(), lr=a.lr)
    for step in range(a.steps + 1):
        cp = comp_pairs[rng.integers(len(comp_pairs), size=48)]
        dp = deg_pairs[rng.integers(len(deg_pairs), size=24)]
        ci = np.concatenate([cp[:, 0], cp[:, 1]])
        di = np.concatenate([dp[:, 0], dp[:, 1]])
        zc = heads(*[t[ci] for t in T])
        zd = heads(*[t[di] for t in D])
        lc = torch.relu(1 - (zc[:48] - zc[48:])).mean()
        ld = torch.relu(1 - (zd[:24] - zd[24:])).mean()
        dist = ((zd - d0[di]) ** 2).mean()
        loss = lc + ld + a.distill * dist
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print("step %4d loss %.3f (composition %.3f, degradation %.3f, distill %.3f)"
                  % (step, loss.item(), lc.item(), ld.item(), dist.item()), flush=True)
    new = {k: heads.w(k).detach().numpy() for k in TENSORS}
    write_model(a.model, a.out, new,
                "heads fine-tuned for framing by models/train/framing_heads.py "
                "(trunk frozen; composition + degradation pairs, %d steps)" % a.steps)
    print("wrote", a.out)


if __name__ == "__main__":
    sys.exit(main())
