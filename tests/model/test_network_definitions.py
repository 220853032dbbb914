#!/usr/bin/python3
"""The project's own network definitions are what they claim to be.

- models/ilgnet.prototxt and models/ilgnet-compact.prototxt are exactly what
  models/train/netdef.py prints (one description, no hand edits);
- models/ilgnet.prototxt computes the authors' ILGNet: its structure (layers,
  their deploy parameters, blob and weight shapes; caffe_pb.net_structure)
  has the fingerprint that the authors' deploy.prototxt has, and the
  published shapes and parameter count;
- with ILGNET_REFERENCE_PROTOTXT naming the authors' file (CI sets it when
  it has a copy), the two are compared layer by layer as well.

Needs numpy only (no PyTorch, no OpenCV)."""

import copy
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
import netdef
from ilgnet_tools import caffe_pb

# sha256 of json.dumps(caffe_pb.net_structure(text), sort_keys=True) for the
# authors' ILGNet deploy.prototxt, computed once from their file.
REFERENCE_SHA256 = "e6aaffda2c38133fb6599b91ecff170df11358f07ad72b418249e77259b21f50"
# Published facts about that network (N = 1).
REFERENCE_BLOBS = {
    "data": [1, 3, 227, 227],
    "conv1/7x7_s2": [1, 64, 114, 114],
    "pool1/3x3_s2": [1, 64, 57, 57],
    "conv2/3x3": [1, 192, 57, 57],
    "pool2/3x3_s2": [1, 192, 28, 28],
    "inception_3a/output": [1, 256, 28, 28],
    "inception_3b/output": [1, 480, 28, 28],
    "pool3/3x3_s2": [1, 480, 14, 14],
    "inception_4a/output": [1, 512, 14, 14],
    "loss1/ave_pool": [1, 512, 4, 4],
    "loss1/conv": [1, 128, 4, 4],
    "temp": [1, 1024],
    "loss1/loss": [1, 2],
}
REFERENCE_FC_INPUTS = {"temp1": 200704, "temp2": 376320, "temp3": 2048,
                       "temp_cjy": 1024, "loss1/classifier_cjy": 1024}
REFERENCE_PARAMETERS = 150938082

failures = []


def check(cond, what):
    print("ok  " if cond else "FAIL", what)
    if not cond:
        failures.append(what)


def fingerprint(structure):
    return hashlib.sha256(
        json.dumps(structure, sort_keys=True).encode()).hexdigest()


def first_difference(a, b):
    if len(a["layers"]) != len(b["layers"]):
        return "%d layers against %d" % (len(a["layers"]), len(b["layers"]))
    for x, y in zip(a["layers"], b["layers"]):
        if x != y:
            return "layer %s: %s against %s" % (x["name"], x, y)
    if a["blobs"] != b["blobs"]:
        return "blob shapes differ"
    return None


def main():
    for arch in netdef.ARCHITECTURES:
        path = os.path.join(TOP, "models", arch + ".prototxt")
        with open(path) as f:
            text = f.read()
        check(text == netdef.prototxt(arch),
              "models/%s.prototxt is what netdef.py %s prints" % (arch, arch))

    with open(os.path.join(TOP, "models", "ilgnet.prototxt")) as f:
        ours = caffe_pb.net_structure(f.read())
    check(fingerprint(ours) == REFERENCE_SHA256,
          "models/ilgnet.prototxt has the authors' structure fingerprint")
    for blob, shape in REFERENCE_BLOBS.items():
        check(ours["blobs"].get(blob) == shape,
              "blob %s is %s (got %s)" % (blob, shape, ours["blobs"].get(blob)))
    by_name = {l["name"]: l for l in ours["layers"]}
    for fc, k in REFERENCE_FC_INPUTS.items():
        got = by_name[fc]["blobs"][0][1] if fc in by_name else None
        check(got == k, "%s takes %d inputs (got %s)" % (fc, k, got))
    n = 0
    for l in ours["layers"]:
        for shape in l["blobs"]:
            size = 1
            for d in shape:
                size *= d
            n += size
    check(n == REFERENCE_PARAMETERS,
          "%d parameters (published %d)" % (n, REFERENCE_PARAMETERS))

    # The fingerprint notices a one-number change and ignores what a deploy
    # net does not compute with (the net's name, fillers, lr_mult).
    changed = copy.deepcopy(ours)
    changed["layers"][1]["params"]["pad"] = [2, 2]
    check(fingerprint(changed) != REFERENCE_SHA256,
          "a changed pad changes the fingerprint")
    with open(os.path.join(TOP, "models", "ilgnet.prototxt")) as f:
        text = f.read()
    decorated = text.replace('name: "ilgnet"', 'name: "GoogleNet"', 1).replace(
        "  convolution_param {\n",
        "  param { lr_mult: 1 decay_mult: 1 }\n  convolution_param {\n"
        "    weight_filler { type: \"xavier\" }\n")
    check(fingerprint(caffe_pb.net_structure(decorated)) == REFERENCE_SHA256,
          "training-only fields and the net's name do not count")

    ref = os.environ.get("ILGNET_REFERENCE_PROTOTXT")
    if ref:
        with open(ref) as f:
            theirs = caffe_pb.net_structure(f.read())
        diff = first_difference(theirs, ours)
        check(diff is None, "same structure as %s%s" % (ref, ": " + diff if diff else ""))
        check(fingerprint(theirs) == REFERENCE_SHA256,
              "the recorded fingerprint is %s's" % ref)

    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
