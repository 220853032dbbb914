#!/usr/bin/python3
"""Seed corpora for the libFuzzer harnesses, from the project's own valid
files: its prototxts, random-weight caffemodels of them (V2 and V1), the
.ilgnet models ilgnet-convert makes of those (f32, f16, int8), and mean
files in every accepted layout.

usage: make-seeds.py --convert ILGNET_CONVERT --out DIR
(with PYTHONPATH=tests/fuzz:src/tools, as run-fuzzers.sh runs it)"""
import argparse
import os
import shutil
import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..", "..")
import fuzz_common as fc
from ilgnet_tools import caffe_pb

ap = argparse.ArgumentParser()
ap.add_argument("--convert", required=True)
ap.add_argument("--out", required=True)
a = ap.parse_args()
dirs = {n: os.path.join(a.out, n) for n in
        ("fuzz-model-file", "fuzz-prototxt", "fuzz-caffemodel", "fuzz-mean")}
for d in dirs.values():
    os.makedirs(d, exist_ok=True)

nets = {"small": fc.SMALL_NET}
for name in ("tiny",):
    nets[name] = open(os.path.join(TOP, "tests", "element",
                                   name + ".prototxt")).read()
for name, path in (("slow", "tests/element/slow.prototxt"),
                   ("compact", "models/ilgnet-compact.prototxt")):
    shutil.copy(os.path.join(TOP, path),
                os.path.join(dirs["fuzz-prototxt"], name + ".prototxt"))

for name, text in nets.items():
    proto = os.path.join(dirs["fuzz-prototxt"], name + ".prototxt")
    open(proto, "w").write(text)
    layers, blobs = caffe_pb.random_weights(text, 1)
    for v1 in (False, True):
        cm = os.path.join(dirs["fuzz-caffemodel"],
                          "%s%s.caffemodel" % (name, "-v1" if v1 else ""))
        try:
            caffe_pb.write_caffemodel(cm, layers, blobs, v1=v1)
        except caffe_pb.ProtoError:
            pass            # a layer type V1 never had (BatchNorm)
    for dt in ("f32", "f16", "int8"):
        out = os.path.join(dirs["fuzz-model-file"], "%s-%s.ilgnet" % (name, dt))
        subprocess.run([a.convert, proto,
                        os.path.join(dirs["fuzz-caffemodel"],
                                     name + ".caffemodel"),
                        "-o", out, "--dtype", dt, "-q",
                        "--mean-bgr=91.0,99.46,107.85"], check=True)

rng = np.random.default_rng(5)
m = dirs["fuzz-mean"]
np.save(os.path.join(m, "c.npy"), np.array([91.0, 99.5, 107.9], np.float32))
np.save(os.path.join(m, "chw64.npy"), rng.uniform(0, 255, (3, 4, 5)))
np.save(os.path.join(m, "nchw-u8.npy"),
        rng.integers(0, 255, (1, 3, 2, 2)).astype(np.uint8))
img = rng.uniform(0, 255, (1, 3, 4, 4)).astype(np.float32)
caffe_pb.write_blobproto(os.path.join(m, "v1.binaryproto"), img, v1=True)
caffe_pb.write_blobproto(os.path.join(m, "v2.binaryproto"), img, v1=False)
print("seeds: " + ", ".join("%s %d" % (n, len(os.listdir(d)))
                            for n, d in dirs.items()))
