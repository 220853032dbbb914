#!/usr/bin/python3
"""Speed of libilgnet (ilgnet-bench) against OpenCV DNN on the same net.

    bench-vs-opencv.py [--build BUILD_DIR] [--prototxt NET.prototxt]
        [--caffemodel W.caffemodel [--model LABEL=PATH ...]]
        [--batch 1 8] [--threads 2] [--frames 24] [--rounds 3]
        [--bench ilgnet-bench] [--convert ilgnet-convert] [--cache DIR]

A benchmark, not a test: speed is never asserted.  It prints ms/frame of
OpenCV DNN (fp32) and of every libilgnet model, and each one's ratio to
OpenCV's time at the same batch size.  Each round runs OpenCV and every
model once per batch size, so a busy machine slows all of them alike; the
best median over the rounds is reported.

The models, by what is given:
  --model LABEL=PATH (with --caffemodel, what OpenCV runs): those files;
  --caffemodel alone: converted to f32, f16 and int8 in a temporary dir;
  neither: the random-weight ILGNet of the parity tests (the authors'
    network, models/ilgnet.prototxt, seed 1, calibrated), taken from BUILD_DIR/tests/parity
    when the parity tests made it there, else generated and converted once
    into --cache (default BUILD_DIR/bench-vs-opencv, or
    ~/.cache/ilgnet/bench-vs-opencv without --build; a subdirectory per
    prototxt) and reused.
The tools come from BUILD_DIR/src/tools, else from $PATH.
"""

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from ilgnet_tools import caffe_pb

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = ("f32", "f16", "int8")
# what tests/parity/meson.build generates, so that its files can be reused
RANDOM_SEED = 1
RANDOM_CAFFEMODEL = "ilgnet-random-v2.caffemodel"
RANDOM_MODEL = "ilgnet-random-%s.ilgnet"
INPUT_SEED = 3


def tool(build, name, override):
    if override:
        if not shutil.which(override):
            sys.exit("%s: not an executable" % override)
        return override
    if build:
        path = os.path.join(build, "src", "tools", name)
        if os.path.exists(path):
            return path
    path = shutil.which(name)
    if not path:
        sys.exit("cannot find %s: pass --build or --%s"
                 % (name, name.split("-")[1]))
    return path


def run(cmd):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if p.returncode:
        sys.exit("%s failed: %s" % (os.path.basename(str(cmd[0])),
                                    (p.stderr or p.stdout).strip()))
    return p.stdout


def convert(convert_tool, prototxt, caffemodel, dtype, out):
    # written under another name first: an interrupted run leaves no file
    # that a later run would take for a finished one
    run([convert_tool, prototxt, caffemodel, "-o", out + ".part", "--dtype",
         dtype, "-q"])
    os.replace(out + ".part", out)


def random_models(a, convert_tool):
    """(caffemodel, {dtype: .ilgnet path}) of the random-weight ILGNet."""
    dirs = []
    if a.build:
        dirs.append(os.path.join(a.build, "tests", "parity"))
    cache = a.cache or (os.path.join(a.build, "bench-vs-opencv") if a.build
                        else os.path.join(os.path.expanduser("~"), ".cache",
                                          "ilgnet", "bench-vs-opencv"))
    # one subdirectory per network, so another prototxt is not given these
    with open(a.prototxt, "rb") as f:
        cache = os.path.join(cache, hashlib.sha1(f.read()).hexdigest()[:12])
    for d in dirs + [cache]:
        cm = os.path.join(d, RANDOM_CAFFEMODEL)
        models = {dt: os.path.join(d, RANDOM_MODEL % dt) for dt in DTYPES}
        if all(os.path.exists(p) for p in [cm] + list(models.values())):
            return cm, models

    os.makedirs(cache, exist_ok=True)
    cm = os.path.join(cache, RANDOM_CAFFEMODEL)
    if not os.path.exists(cm):
        print("generating the random-weight ILGNet into %s (once)" % cache,
              file=sys.stderr, flush=True)
        run([sys.executable, os.path.join(HERE, "ilgnet_tools", "caffe_pb.py"), "random",
             a.prototxt, cm + ".part", "--seed", RANDOM_SEED, "--calibrate"])
        os.replace(cm + ".part", cm)
    models = {}
    for dt in DTYPES:
        models[dt] = os.path.join(cache, RANDOM_MODEL % dt)
        if not os.path.exists(models[dt]):
            print("converting it to %s" % dt, file=sys.stderr, flush=True)
            convert(convert_tool, a.prototxt, cm, dt, models[dt])
    return cm, models


def ilgnet_times(bench, model, batch, threads, frames):
    out = run([bench, "-m", model, "--batch", batch, "--threads", threads,
               "--frames", frames])
    m = re.search(r"min ([\d.]+) ms/frame, median ([\d.]+) ms/frame", out)
    if not m:
        sys.exit("unexpected ilgnet-bench output: " + out)
    return float(m.group(1)), float(m.group(2))


def opencv_times(net, x, frames):
    batch = len(x)
    net.setInput(x)
    net.forward()                               # warm-up
    t = []
    for _ in range(max(3, -(-frames // batch))):
        net.setInput(x)
        t0 = time.perf_counter()
        net.forward()
        t.append((time.perf_counter() - t0) * 1000.0 / batch)
    return min(t), statistics.median(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", help="meson build directory")
    ap.add_argument("--prototxt", default=os.path.join(
        HERE, "..", "..", "models", "ilgnet.prototxt"))
    ap.add_argument("--caffemodel", help="weights (default: random ones)")
    ap.add_argument("--model", action="append", default=[],
                    help="LABEL=PATH of an .ilgnet file (needs --caffemodel)")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=24,
                    help="frames timed per setting and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bench", help="ilgnet-bench to run")
    ap.add_argument("--convert", help="ilgnet-convert to run")
    ap.add_argument("--cache", help="where generated models are kept")
    a = ap.parse_args()
    if a.model and not a.caffemodel:
        ap.error("--model needs --caffemodel (the weights OpenCV runs)")
    if not os.path.exists(a.prototxt):
        sys.exit("%s not found: pass --prototxt" % a.prototxt)
    try:
        import cv2
    except ImportError:
        sys.exit("needs OpenCV for Python (python3-opencv)")

    bench = tool(a.build, "ilgnet-bench", a.bench)
    tmp = None
    if a.model:
        caffemodel = a.caffemodel
        models = [m.split("=", 1) for m in a.model]
        if any(len(m) != 2 for m in models):
            ap.error("--model takes LABEL=PATH")
    elif a.caffemodel:
        caffemodel = a.caffemodel
        convert_tool = tool(a.build, "ilgnet-convert", a.convert)
        tmp = tempfile.mkdtemp(prefix="ilgnet-bench-")
        models = []
        for dt in DTYPES:
            path = os.path.join(tmp, dt + ".ilgnet")
            convert(convert_tool, a.prototxt, caffemodel, dt, path)
            models.append(("ilgnet-" + dt, path))
    else:
        caffemodel, paths = random_models(
            a, tool(a.build, "ilgnet-convert", a.convert))
        models = [("ilgnet-" + dt, paths[dt]) for dt in DTYPES]

    try:
        text = open(a.prototxt).read()
        net_msg = caffe_pb.parse_prototxt(text)
        shape = list(caffe_pb.net_input_shapes(
            net_msg, caffe_pb.net_layers(net_msg)).values())[0][1:]
        cv2.setNumThreads(a.threads)
        net = cv2.dnn.readNetFromCaffe(a.prototxt, caffemodel)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        # photo-like inputs (those the random weights were calibrated on)
        inputs = {b: caffe_pb.sample_inputs(shape, b, INPUT_SEED)
                  for b in a.batch}

        best = {}
        for r in range(a.rounds):
            for b in a.batch:
                res = {"opencv-f32": opencv_times(net, inputs[b], a.frames)}
                for label, path in models:
                    res[label] = ilgnet_times(bench, path, b, a.threads,
                                              a.frames)
                for k, (mn, med) in res.items():
                    old = best.get((k, b), (mn, med))
                    best[(k, b)] = (min(mn, old[0]), min(med, old[1]))
                print("round %d batch %d: " % (r + 1, b) + ", ".join(
                    "%s %.1f" % (k, v[1]) for k, v in res.items()),
                    file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp)

    print("%s + %s, OpenCV %s, %d threads: ms/frame, best median of %d "
          "interleaved rounds of %d frames"
          % (os.path.basename(a.prototxt), os.path.basename(caffemodel),
             cv2.__version__, a.threads, a.rounds, a.frames))
    print("%5s  %-14s %8s %8s %10s" % ("batch", "engine", "min", "median",
                                       "vs OpenCV"))
    for b in a.batch:
        ref = best[("opencv-f32", b)][1]
        for k in ["opencv-f32"] + [label for label, _ in models]:
            mn, med = best[(k, b)]
            print("%5d  %-14s %8.2f %8.2f %9.2fx" % (b, k, mn, med,
                                                     med / ref))


if __name__ == "__main__":
    main()
