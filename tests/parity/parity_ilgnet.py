#!/usr/bin/python3
"""Parity of the authors' ILGNet network (deploy.prototxt) with random
weights: ilgnet-convert + libilgnet against OpenCV DNN on the caffemodel.

Modes:
  f32   every blob from conv1 to loss1/loss within 1e-4 relative (max abs
        diff / max abs value), batch 4 (with a partial batch) and batch 1;
        ilgnet-score's scores and --dump agree.
  v1    the V1-layout caffemodel converts to the same tensors as the V2 one,
        and its model matches OpenCV (reading the V1 file) on key blobs.
  f16   stored halves are numpy's float16 of the weights (round to nearest
        even); scores within 1e-3 of OpenCV's fp32.
  int8  stored codes are round(w / s), s = max|w| / 127 per output channel;
        scores within 2e-2 of OpenCV's fp32.

The weights are calibrated (caffe_pb --calibrate) so that the scores of
the test inputs spread over (0, 1); the test checks that they do, since
saturated scores would make the score comparisons meaningless.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

import parity_common as pc
from ilgnet_tools import caffe_pb

N_INPUTS = 5                    # batch 4 then a partial batch of 1
INPUT_SEED = 1234


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True,
                    choices=["f32", "v1", "f16", "int8"])
    ap.add_argument("--prototxt", required=True)
    ap.add_argument("--caffemodel")
    ap.add_argument("--model")
    ap.add_argument("--ref-model", help="the f32 model from the V2 file")
    ap.add_argument("--score-tool")
    ap.add_argument("--dump-tool")
    a = ap.parse_args()
    if not os.path.exists(a.prototxt):
        sys.exit("%s not found (make it with models/train/netdef.py ilgnet)"
                 % a.prototxt)
    try:
        import cv2  # noqa: F401
    except ImportError:
        sys.exit("needs OpenCV for Python (python3-opencv; tests/run.sh installs it)")

    text = open(a.prototxt).read()
    blobs, last = pc.blob_order(text)
    x = caffe_pb.sample_inputs((3, 227, 227), N_INPUTS, INPUT_SEED)
    c = pc.Checker()
    tmp = tempfile.mkdtemp(prefix="ilgnet-parity-")

    want = blobs if a.mode == "f32" else (
        ["conv1/7x7_s2", "inception_3a/output", "inception_4a/output",
         "temp", "loss1/loss"] if a.mode == "v1" else ["loss1/loss"])
    ref = pc.opencv_blobs(a.prototxt, a.caffemodel, x, want, last)
    ref_scores = ref["loss1/loss"][:, 1]
    print("OpenCV scores:", np.round(ref_scores, 4))
    c.check(ref_scores.std() > 0.02 and ref_scores.min() > 1e-3
            and ref_scores.max() < 1 - 1e-3,
            "reference scores spread over (0,1) (std %.3f)"
            % ref_scores.std())

    if a.mode == "f32":
        for batch in (4, 1):
            got = pc.ilgnet_dump(a.dump_tool, a.model, x, batch, blobs, tmp,
                                 "b%d" % batch)
            worst = (0.0, None)
            for b in blobs:
                if got[b].shape != ref[b].shape:
                    c.check(False, "batch %d blob %s shape %s vs OpenCV %s"
                            % (batch, b, got[b].shape, ref[b].shape))
                    continue
                e = pc.rel_err(got[b], ref[b])
                if e > 1e-4:
                    c.check(False, "batch %d blob %s rel err %.2e"
                            % (batch, b, e))
                worst = max(worst, (e, b))
            c.check(worst[0] <= 1e-4, "batch %d: all %d blobs within 1e-4 "
                    "(worst %.2e at %s)" % (batch, len(blobs), worst[0],
                                            worst[1]))
        scores, loss = pc.ilgnet_scores(a.score_tool, a.model, x, 4, tmp,
                                        "score", dump="loss1/loss")
        c.check(pc.rel_err(loss, ref["loss1/loss"]) <= 1e-4,
                "ilgnet-score --dump loss1/loss matches OpenCV")
        c.check(np.abs(scores - ref_scores).max() <= 1e-4,
                "ilgnet-score scores match OpenCV (max diff %.2e)"
                % np.abs(scores - ref_scores).max())

    elif a.mode == "v1":
        h1, d1 = pc.read_ilgnet(a.model)
        h2, d2 = pc.read_ilgnet(a.ref_model)
        same = h1["tensors"] == h2["tensors"] and h1["layers"] == \
            h2["layers"] and np.array_equal(d1, d2)
        c.check(same, "V1 and V2 caffemodels give identical layers and "
                "tensors")
        got = pc.ilgnet_dump(a.dump_tool, a.model, x, 4, want, tmp, "v1")
        for b in want:
            e = pc.rel_err(got[b], ref[b])
            c.check(e <= 1e-4, "V1 model blob %s vs OpenCV on the V1 file: "
                    "rel err %.2e" % (b, e))

    else:
        h, d = pc.read_ilgnet(a.model)
        weights = {name: arrs for name, _, arrs in
                   caffe_pb.read_caffemodel(a.caffemodel)}
        n_checked, bad = 0, []
        for layer in h["layers"]:
            if layer["type"] not in ("Convolution", "InnerProduct"):
                continue
            w = np.asarray(weights[layer["name"]][0], np.float32)
            stored, scales = pc.ilgnet_tensor(h, d, layer["blobs"][0])
            w = w.reshape(stored.shape)
            if a.mode == "f16":
                ok = stored.dtype == np.float16 and np.array_equal(
                    stored.view(np.uint16), w.astype(np.float16).view(
                        np.uint16))
            else:
                s = (np.abs(w).reshape(len(w), -1).max(1)
                     / np.float32(127)).astype(np.float32)
                ok = np.array_equal(scales, s)
                if ok:
                    sd = np.where(s > 0, s, np.float32(1))
                    q = np.rint(w / sd.reshape((-1,) + (1,) * (w.ndim - 1)))
                    ok = stored.dtype == np.int8 and np.array_equal(
                        stored, np.clip(q, -127, 127).astype(np.int8))
            n_checked += 1
            if not ok:
                bad.append(layer["name"])
            # Biases stay f32, bit for bit.
            if len(layer["blobs"]) > 1:
                bias, _ = pc.ilgnet_tensor(h, d, layer["blobs"][1])
                if not (bias.dtype == np.float32 and np.array_equal(
                        bias, np.asarray(weights[layer["name"]][1]))):
                    bad.append(layer["name"] + " bias")
        c.check(n_checked == 27 and not bad, "%s weights of %d layers match "
                "the numpy reference encoding%s" % (
                    a.mode, n_checked, (": bad " + ", ".join(bad))
                    if bad else ""))
        tol = 1e-3 if a.mode == "f16" else 2e-2
        for batch in (4, 1):
            scores, _ = pc.ilgnet_scores(a.score_tool, a.model, x, batch, tmp,
                                         "%s%d" % (a.mode, batch))
            diff = np.abs(scores - ref_scores).max()
            c.check(diff <= tol, "%s scores (batch %d) within %g of fp32: "
                    "max diff %.2e" % (a.mode, batch, tol, diff))
    os.rmdir(tmp)
    c.exit()


if __name__ == "__main__":
    main()
