#!/usr/bin/python3
"""Export parity: the PyTorch net of models/train and the .ilgnet file made
from it by the real export path (caffe_pb.py caffemodel + ilgnet-convert)
give the same probabilities through libilgnet (ilgnet-score) on the same
input tensors: <= 1e-4 in f32, <= 1e-2 in f16 (the shipped dtype).

The net is built with a fixed seed and random BatchNorm statistics (so the
BatchNorm folding is exercised); no training data is needed.

The other way too: the f32 file read back into PyTorch (warmstart.py, which
training uses to continue from a shipped model) computes the same
probabilities, and its re-inserted BatchNorm is the identity in training
mode on the calibration batch, so fine-tuning starts where the file is.

And again (export.py --from-model, how a shipped model is stored in another
dtype when its checkpoint is gone): the f32 file written back to a
caffemodel and converted again scores as the f32 file did (<= 1e-6), and
a file whose input settings the path would change is refused."""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import degrade
import export
import net
import synth
import warmstart
from evaluate import score_with_libilgnet


def inputs():
    rng = np.random.default_rng(3)
    xs = []
    for seed in (1, 2):
        img = synth.photo(seed)
        xs.append(degrade.to_input(img, net.INPUT_SIZE))
        for kind in ("defocus", "fade_black", "jpeg"):
            xs.append(degrade.to_input(degrade.apply(img, kind, 0.7, rng), net.INPUT_SIZE))
    return np.stack(xs).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert", required=True)
    ap.add_argument("--score", required=True)
    ap.add_argument("--outdir", required=True)
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.outdir, exist_ok=True)

    model = export.random_model(7)
    x = inputs()
    with torch.no_grad():
        ref = F.softmax(model(torch.from_numpy(x)), 1)[:, net.HIGH_INDEX].numpy()
    print("PyTorch P(high):", np.round(ref, 5))
    # Saturated outputs (all 0 or 1) would hide any difference.
    if not ((ref > 0.02) & (ref < 0.98)).sum() >= len(ref) // 2:
        print("FAIL: reference probabilities are saturated")
        return 1

    proto = os.path.join(a.outdir, "parity.prototxt")
    caffemodel = os.path.join(a.outdir, "parity.caffemodel")
    export.write_caffe(model, proto, caffemodel)
    failed = False
    for dtype, tol in (("f32", 1e-4), ("f16", 1e-2)):
        out = os.path.join(a.outdir, "parity-%s.ilgnet" % dtype)
        export.convert(a.convert, proto, caffemodel, out, dtype, "parity-" + dtype,
                       "export parity test", "random seed 7", "ilgnet-compact")
        got = score_with_libilgnet(a.score, out, x)
        d = float(np.abs(got - ref).max())
        ok = d <= tol
        failed |= not ok
        print("%s: libilgnet %s max |diff| %.2e (limit %.0e) %s" % (
            dtype, np.round(got, 5), d, tol, "ok" if ok else "FAIL"))
        if dtype == "f32":
            failed |= not check_warmstart(out, x, ref)
            failed |= not check_from_model(a, out, x, got)
    os.remove(caffemodel)
    return 1 if failed else 0


def check_from_model(a, path, x, want):
    again = os.path.join(a.outdir, "parity-again.ilgnet")
    export.write_caffe_from_model(path, again[:-7] + ".prototxt",
                                  again[:-7] + ".caffemodel")
    export.convert(a.convert, again[:-7] + ".prototxt", again[:-7] + ".caffemodel",
                   again, "f32", "again", "", "", "ilgnet-compact")
    os.remove(again[:-7] + ".caffemodel")
    d = float(np.abs(score_with_libilgnet(a.score, again, x) - want).max())
    ok = d <= 1e-6
    print("--from-model: the f32 file exported again scores max |diff| %.2e "
          "(limit 1e-6) %s" % (d, "ok" if ok else "FAIL"))
    # the same file with another mean: the path would write net.MEAN_BGR
    with open(path, "rb") as f:
        data = bytearray(f.read())
    i = data.index(b'"mean"')
    j = data.index(b"]", i)
    new = b'"mean":[1,2,3]'.ljust(j + 1 - i)
    data[i:j + 1] = new
    other = os.path.join(a.outdir, "parity-other-mean.ilgnet")
    with open(other, "wb") as f:
        f.write(data)
    try:
        export.write_caffe_from_model(other, other + ".prototxt", other + ".caffemodel")
        print("--from-model: a file with another mean was not refused FAIL")
        ok = False
    except warmstart.ModelFileError as e:
        print("--from-model: another mean refused: %s ok" % e)
    for f in (other, other + ".prototxt"):
        if os.path.exists(f):
            os.remove(f)
    return ok


def check_warmstart(path, x, ref):
    xt = torch.from_numpy(x)
    back = warmstart.load(path, xt)
    back.eval()
    with torch.no_grad():
        got = F.softmax(back(xt), 1)[:, net.HIGH_INDEX].numpy()
    d = float(np.abs(got - ref).max())
    ok = d <= 1e-4
    print("warm start from the f32 file: eval max |diff| %.2e (limit 1e-4) %s"
          % (d, "ok" if ok else "FAIL"))
    blob = "inception_4a/output"
    with torch.no_grad():
        want = back(xt, until=blob)
        back.train()
        have = back(xt, until=blob)
    e = float((have - want).abs().max() / want.abs().max())
    ok2 = e <= 1e-4
    print("warm start: train-mode %s on the calibration batch rel diff %.2e "
          "(limit 1e-4) %s" % (blob, e, "ok" if ok2 else "FAIL"))
    return ok and ok2


if __name__ == "__main__":
    sys.exit(main())
