#!/usr/bin/python3
"""A small composition term on RoI and RoD features (issue 17, third
approach; a measurement, nothing here ships).

    framing_rod_probe.py WORKDIR --box-tool ilgnet-box-dump [--model M]
                         [--spatial] [--maps]

The model's crop logit plus g(box) - g(whole frame), where g is a linear
map or a one-hidden-layer MLP of the trunk's head inputs averaged over the
box (RoI) and over the part of the frame the box discards (RoD: CACNet's
idea, from the whole frame's and the box's averages and areas), trained
with a pairwise hinge on framing_heads.py's cached composition frames
(runs 1 and 2, TRAINING photos; 1 photo in 5 held out for early stopping).
The whole frame's score is unchanged by construction, so the degradation
results cannot move.  The configuration (hidden size, weight decay) is
chosen on framing-eval.py-style cases built from the VALIDATION photos;
only the chosen one is evaluated on the TEST photos' cases (the same
cases as framing-eval.py: seed 17, 70 % crops in 640x360).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import framing_heads as fh  # noqa: E402
import photos  # noqa: E402

fe = fh.framing_eval()

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("workdir")
ap.add_argument("--box-tool", required=True)
ap.add_argument("--model", default=os.path.join(HERE, "..", "default.ilgnet"))
ap.add_argument("--spatial", action="store_true",
                help="also the box's layout: each RoI bin's mean over channels")
ap.add_argument("--maps", action="store_true",
                help="also the box's RoI maps, reduced to 8 channels each by a "
                "learned 1x1 convolution")
args = ap.parse_args()
SPATIAL, MAPS_ON = args.spatial, args.maps
WD, TOOL, MODEL = args.workdir, args.box_tool, args.model
torch.set_num_threads(2)
A = fh.anchors(fh.W, fh.H, coarse=True)   # run 3 scored the 55 through the heads
AREA = np.array([a[2] * a[3] for a in A], np.float64)

def gap(f):   # per box: global average of each head input -> 1248
    means = [x.astype(np.float32).reshape(len(x), x.shape[1], -1).mean(2) for x in f]
    if not SPATIAL:
        return np.concatenate(means, 1)
    # + the layout: each bin's mean over channels (49 + 49 + 16)
    lay = [x.astype(np.float32).reshape(len(x), x.shape[1], -1).mean(1) for x in f]
    return np.concatenate(means + lay, 1)

def phi(m, idx, mf):
    """m: [n,1248] box means, idx: anchor index per row, mf: whole-frame mean per row"""
    af, ab = AREA[0], AREA[idx][:, None]
    whole = (idx == 0)[:, None]
    rod = np.where(whole, 0.0, (af * mf - ab * m) / np.maximum(af - ab, 1.0))
    return np.concatenate([m, rod, whole.astype(np.float32)], 1).astype(np.float32)

# ---- training data: the cached composition frames of runs 1 and 2 ----
train_photos, _ = photos.load(os.path.join(WD, 'cache', 'train.npz'))
def load_run(tag, neg_iou, full_side):
    rng = np.random.default_rng(1)
    frames, pairs, cross = fh.composition_frames(train_photos, rng, 2, neg_iou, full_side)
    keep = [[p] + list(n) for p, n in pairs]
    del frames
    feats, scores = [[], [], []], []
    for c0 in range(0, len(keep), 16):
        z = np.load(os.path.join(WD, 'framing', '%s-%05d.npz' % (tag, c0)))
        for b in range(3):
            feats[b].append(z['arr_%d' % b])
        scores.append(z['scores'])
    feats = [np.concatenate(f) for f in feats]
    return keep, gap(feats), np.concatenate(scores), feats
runs = [load_run('comp', 0.6, 0.76), load_run('comp2', 0.8, 0.93)]
keep = runs[0][0] + runs[1][0]
M = np.concatenate([runs[0][1], runs[1][1]])
scores = np.concatenate([runs[0][2], runs[1][2]])
MAPS = [torch.from_numpy(np.concatenate([runs[0][3][b], runs[1][3][b]]))
        for b in range(3)] if MAPS_ON else None  # f16
nf1 = len(runs[0][0])
del runs
off = np.cumsum([0] + [len(k) for k in keep])
assert off[-1] == len(M), (off[-1], len(M))
rows_idx = np.concatenate([np.array(k) for k in keep])
frame_of = np.repeat(np.arange(len(keep)), [len(k) for k in keep])
whole_row = np.array([off[f] + keep[f].index(0) for f in range(len(keep))])
mf = M[whole_row[frame_of]]
X = phi(M, rows_idx, mf)
L = np.log(np.clip(scores, 1e-6, 1 - 1e-6) / np.clip(1 - scores, 1e-6, 1))
logit = L[frame_of, rows_idx]
whole_logit = L[frame_of, 0]
photo_of_frame = np.concatenate([np.arange(nf1) // 4, np.arange(len(keep) - nf1) // 4])
P = np.array([(off[f], off[f] + j) for f in range(len(keep)) for j in range(1, len(keep[f]))])
val_photo = photo_of_frame[frame_of[P[:, 0]]] % 5 == 0
mu, sd = X.mean(0), X.std(0) + 1e-6
Xs = torch.from_numpy((X - mu) / sd)
lg = torch.from_numpy(logit.astype(np.float32)); wl = torch.from_numpy(whole_logit.astype(np.float32))
print('train rows', len(X), 'pairs', len(P), 'val pairs', val_photo.sum(), flush=True)

class G(torch.nn.Module):
    """g(box): linear (hidden 0) or a one-hidden-layer MLP of the vector
    features, with --maps also of the box's RoI maps reduced to 8 channels
    each by a learned 1x1 convolution."""
    def __init__(self, dim, hidden):
        super().__init__()
        if MAPS_ON:
            self.red = torch.nn.ModuleList([torch.nn.Conv2d(c, 8, 1) for c in (256, 480, 512)])
            dim += 8 * (49 + 49 + 16)
        self.mlp = torch.nn.Linear(dim, 1) if not hidden else torch.nn.Sequential(
            torch.nn.Linear(dim, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def forward(self, x, maps):
        if MAPS_ON:
            x = torch.cat([x] + [torch.relu(c(m.float())).flatten(1)
                                 for c, m in zip(self.red, maps)], 1)
        return self.mlp(x)[:, 0]

def fit(wd, steps=1500, hidden=0):
    torch.manual_seed(0)
    net = G(X.shape[1], hidden)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=wd)
    tr = P[~val_photo]; va = P[val_photo]
    wr = torch.from_numpy(whole_row[frame_of])
    def g(idx):
        return net(Xs[idx], [m[idx] for m in MAPS] if MAPS_ON else None)
    zf = lambda idx: lg[idx] + g(idx) - g(wr[idx])
    best = (-1, None)
    r = np.random.default_rng(0)
    for s in range(steps + 1):
        b = tr[r.integers(len(tr), size=256)]
        loss = torch.relu(1 - (zf(torch.from_numpy(b[:, 0])) - zf(torch.from_numpy(b[:, 1])))).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        if s % 250 == 0:
            with torch.no_grad():
                acc = np.mean([(zf(torch.from_numpy(va[i:i + 512, 0])) > zf(torch.from_numpy(va[i:i + 512, 1]))).float().mean().item()
                               for i in range(0, len(va), 512)])
            if acc > best[0]:
                best = (acc, {k: v.clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[1])
    with torch.no_grad():
        base = (lg[va[:, 0]] > lg[va[:, 1]]).float().mean().item()
    return net, best[0], base

# ---- framing-eval's cases, all 55 anchors, features dumped ----
def build(npz, seed=17):
    ph, _ = fe.load_photos(os.path.join(WD, 'cache', npz))
    ph = [p for p in ph if min(p.shape[:2]) >= 200][:60]
    n = len(ph)
    trng = np.random.default_rng(seed)
    cases = [fe.framed_case(ph, i, trng) for i in range(n)]
    keeps = [fe.keep_case(ph, i) for i in range(n)]
    tframes = [c[0] for c in cases] + keeps
    with tempfile.TemporaryDirectory() as tmp:
        np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in tframes]).tofile(tmp + '/f.rgb')
        cmd = [TOOL, MODEL, tmp + '/f.rgb', str(fh.W), str(fh.H), '--boxes', '55', '--dump', tmp + '/d', '-t', '2']
        for b in fh.HEADS:
            cmd += ['--blob', b]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        lines = [l for l in out.splitlines() if not l.startswith('#')]
        tsc = np.array([float(l.split()[6]) for l in lines]).reshape(len(tframes), 55)
        trect = np.array([[int(v) for v in l.split()[2:6]] for l in lines]).reshape(len(tframes), 55, 4)
        TM, TMAPS = [], []
        for f in range(len(tframes)):
            fs = [np.fromfile(tmp + '/d%04d-%03d.f32' % (f, b), np.float32).reshape((55,) + sh) for b, sh in enumerate(fh.SHAPES)]
            TM.append(gap(fs))
            if MAPS_ON:
                TMAPS.append([torch.from_numpy(x.astype(np.float16)) for x in fs])
    assert all(tuple(trect[0, i]) == tuple(A[i]) for i in range(55)), 'anchors differ'
    TL = np.log(np.clip(tsc, 1e-6, 1 - 1e-6) / np.clip(1 - tsc, 1e-6, 1))
    return dict(n=n, cases=cases, TM=TM, TL=TL, trect=trect, TMAPS=TMAPS)

def evaluate(net, D):
    ious, keep_n, kinds = [], 0, {}
    for f in range(2 * D['n']):
        m = D['TM'][f]; idx = np.arange(55)
        x = torch.from_numpy((phi(m, idx, np.repeat(m[:1], 55, 0)) - mu) / sd)
        with torch.no_grad():
            gz = net(x, D['TMAPS'][f] if MAPS_ON else None).numpy() \
                if net is not None else np.zeros(55)
        z = D['TL'][f] + gz - gz[0]
        s = 1 / (1 + np.exp(-z))
        pick = fe.suggest(D['trect'][f], s)
        if f < D['n']:
            v = fe.iou(tuple(D['trect'][f][pick]), D['cases'][f][1])
            ious.append(v); kinds.setdefault(D['cases'][f][2], []).append(v)
        else:
            keep_n += pick == 0
    return float(np.mean(ious)), keep_n / D['n'], {k: round(float(np.mean(v)), 3) for k, v in kinds.items()}

VAL = build('val.npz')
TEST = build('test.npz')
print('val cases', VAL['n'], 'test cases', TEST['n'], flush=True)
print('model alone: val IoU %.3f keep %.2f %s | test IoU %.3f keep %.2f %s' % (*evaluate(None, VAL), *evaluate(None, TEST)))
results = []
for hidden in ((64, 256) if MAPS_ON else (0, 64, 256)):
    for wd in ((1e-3, 1e-2) if MAPS_ON else (1e-4, 1e-3, 1e-2)):
        net, vacc, vbase = fit(wd, hidden=hidden)
        v = evaluate(net, VAL)
        results.append((v[0] + 0.5 * v[1], hidden, wd, net, v))
        print('hidden %d wd %g: val pairs %.3f (alone %.3f)  val cases IoU %.3f keep %.2f %s' % (hidden, wd, vacc, vbase, *v), flush=True)
best = max(results, key=lambda r: r[0])
print('chosen on validation: hidden %d wd %g' % (best[1], best[2]))
print('TEST: IoU %.3f keep %.2f %s' % evaluate(best[3], TEST))
