"""Helpers shared by the parity tests: running the tools, reading .ilgnet
files, and OpenCV DNN as the independent reference."""

import json
import os
import struct
import subprocess
import sys

import numpy as np

from ilgnet_tools import caffe_pb

SKIP = 77


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def run(cmd, env=None, expect_ok=True):
    """Runs a command; on an unexpected exit status prints its output and
    fails the test."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       env=e)
    if expect_ok and p.returncode != 0:
        print("FAILED: %s\nexit %d\nstdout: %s\nstderr: %s"
              % (" ".join(map(str, cmd)), p.returncode, p.stdout, p.stderr))
        sys.exit(1)
    return p


def read_ilgnet(path):
    """(header dict, data section as a read-only uint8 memmap)."""
    with open(path, "rb") as f:
        pre = f.read(24)
        assert pre[:8] == b"ILGNETMF", "bad magic"
        version, flags, hlen = struct.unpack("<IIQ", pre[8:])
        header = json.loads(f.read(hlen).decode("utf-8"))
    data = np.memmap(path, np.uint8, "r", offset=24 + hlen)
    return header, data


def ilgnet_tensor(header, data, name):
    """A tensor's stored values (f32, f16 or i8 array) and, for i8, its
    scales."""
    t = header["tensors"][name]
    dt = {"f32": "<f4", "f16": "<f2", "i8": "i1"}[t["dtype"]]
    raw = data[t["offset"]:t["offset"] + t["nbytes"]]
    arr = np.frombuffer(raw, dt).reshape(t["shape"])
    scales = None
    if t["dtype"] == "i8":
        scales = ilgnet_tensor(header, data, t["scales"])[0]
    return arr, scales


def rel_err(a, ref):
    """max |a - ref| / max |ref| (absolute when ref is all zero)."""
    a = np.asarray(a, np.float64)
    ref = np.asarray(ref, np.float64)
    d = float(np.abs(a - ref).max()) if a.size else 0.0
    m = float(np.abs(ref).max()) if ref.size else 0.0
    return d / m if m > 0 else d


def blob_order(prototxt_text):
    """Unique top names of a prototxt in execution order, input excluded,
    with the last layer writing each (OpenCV names outputs by layer and,
    for in-place chains, the last layer holds the final value)."""
    net = caffe_pb.parse_prototxt(prototxt_text)
    layers = caffe_pb.net_layers(net)
    inputs = set(caffe_pb.net_input_shapes(net, layers))
    order, last = [], {}
    for l in layers:
        for t in l.top:
            if t in inputs:
                continue
            if t not in last:
                order.append(t)
            last[t] = l.name
    return order, last


def opencv_blobs(prototxt, caffemodel, x, blobs, last_layer):
    """OpenCV DNN forward of x (N x C x H x W float32); {blob: array}."""
    import cv2
    net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setInput(x)
    names = [last_layer[b] for b in blobs]
    outs = net.forward(names)
    return {b: np.array(o).reshape(len(x), -1) for b, o in zip(blobs, outs)}


def ilgnet_dump(dump_tool, model, x, batch, blobs, tmpdir, tag):
    """libilgnet's values of every blob in one run of ilgnet-parity-dump."""
    inp = os.path.join(tmpdir, "%s-in.f32" % tag)
    x.astype("<f4").tofile(inp)
    prefix = os.path.join(tmpdir, "%s-" % tag)
    run([dump_tool, model, inp, batch, prefix] + list(blobs))
    out = {}
    for i, b in enumerate(blobs):
        path = "%s%03d.f32" % (prefix, i)
        out[b] = np.fromfile(path, "<f4").reshape(len(x), -1)
        os.unlink(path)
    os.unlink(inp)
    return out


def ilgnet_scores(score_tool, model, x, batch, tmpdir, tag, dump=None):
    """Scores printed by ilgnet-score --tensor (and the --dump blob)."""
    inp = os.path.join(tmpdir, "%s-in.f32" % tag)
    x.astype("<f4").tofile(inp)
    cmd = [score_tool, "-m", model, "--tensor", inp, "--batch", batch,
           "--threads", 2]
    outp = os.path.join(tmpdir, "%s-dump.f32" % tag)
    if dump:
        cmd += ["--dump", dump, "-o", outp]
    p = run(cmd)
    scores = np.array([json.loads(l)["score"] for l in p.stdout.splitlines()
                       if l.startswith("{")])
    os.unlink(inp)
    blob = None
    if dump:
        blob = np.fromfile(outp, "<f4").reshape(len(x), -1)
        os.unlink(outp)
    if len(scores) != len(x):
        print("FAILED: ilgnet-score printed %d scores for %d inputs"
              % (len(scores), len(x)))
        sys.exit(1)
    return scores, blob


class Checker:
    """Collects named pass/fail checks and prints one line per check."""

    def __init__(self):
        self.failed = 0

    def check(self, ok, what):
        print("%s: %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            self.failed += 1

    def exit(self):
        print("%d checks failed" % self.failed)
        sys.exit(1 if self.failed else 0)
