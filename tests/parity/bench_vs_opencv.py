#!/usr/bin/python3
"""Speed of libilgnet (ilgnet-bench: f32, f16, int8) against OpenCV DNN on
the same network, in the same run, at batch 1 and 8 with 2 threads.  Not a
test (speed is never asserted): prints a table of ms/frame and ratios.

  bench_vs_opencv.py --build BUILD_DIR [--prototxt P] [--caffemodel C]
                     [--frames N] [--threads T]

Without --caffemodel it uses the random-weight ILGNet models that the
parity tests generate in BUILD_DIR/tests/parity (run `meson test -C
BUILD_DIR --suite parity` once first, or pass your own files; the .ilgnet
models are then converted into a temporary directory).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "src", "tools"))
import caffe_pb  # noqa: E402


def ilgnet_bench(tool, model, batch, threads, frames):
    p = subprocess.run([tool, "-m", model, "--batch", str(batch),
                        "--threads", str(threads), "--frames", str(frames)],
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit("ilgnet-bench failed: " + p.stderr.strip())
    m = re.search(r"median ([0-9.]+) ms/frame", p.stdout)
    if not m:
        sys.exit("cannot read ilgnet-bench output: " + p.stdout)
    return float(m.group(1))


def opencv_bench(prototxt, caffemodel, batch, threads, frames, shape):
    import cv2
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    x = caffe_pb.sample_inputs(shape, batch, 3)
    net.setInput(x)
    net.forward()                               # warm-up
    times = []
    for _ in range(max(1, -(-frames // batch))):
        net.setInput(x)
        t = time.perf_counter()
        net.forward()
        times.append((time.perf_counter() - t) * 1000 / batch)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="meson build directory")
    ap.add_argument("--prototxt", default=os.path.join(
        HERE, "..", "..", "..", "shared", "ilgnet-reference",
        "deploy.prototxt"))
    ap.add_argument("--caffemodel")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    bench = os.path.join(a.build, "src", "tools", "ilgnet-bench")
    convert = os.path.join(a.build, "src", "tools", "ilgnet-convert")
    pdir = os.path.join(a.build, "tests", "parity")
    tmp = None
    if a.caffemodel:
        tmp = tempfile.mkdtemp(prefix="ilgnet-bench-")
        models = {}
        for dt in ("f32", "f16", "int8"):
            models[dt] = os.path.join(tmp, dt + ".ilgnet")
            subprocess.run([convert, a.prototxt, a.caffemodel, "-o",
                            models[dt], "--dtype", dt, "-q"], check=True)
        caffemodel = a.caffemodel
    else:
        caffemodel = os.path.join(pdir, "ilgnet-random-v2.caffemodel")
        models = {dt: os.path.join(pdir, "ilgnet-random-%s.ilgnet" % dt)
                  for dt in ("f32", "f16", "int8")}
        missing = [p for p in [caffemodel] + list(models.values())
                   if not os.path.exists(p)]
        if missing:
            sys.exit("missing %s: run `meson test -C %s --suite parity` "
                     "first or pass --caffemodel" % (missing[0], a.build))
    net = caffe_pb.parse_prototxt(open(a.prototxt).read())
    shape = list(caffe_pb.net_input_shapes(
        net, caffe_pb.net_layers(net)).values())[0][1:]

    print("ms/frame (median), %d threads, %d frames per setting"
          % (a.threads, a.frames))
    print("%-12s %6s %10s %10s %8s" % ("engine", "batch", "ms/frame",
                                        "OpenCV", "speedup"))
    for batch in (1, 8):
        cv = opencv_bench(a.prototxt, caffemodel, batch, a.threads,
                          a.frames, shape)
        print("%-12s %6d %10.2f %10.2f %8s" % ("opencv", batch, cv, cv, "1.00"))
        for dt in ("f32", "f16", "int8"):
            ms = ilgnet_bench(bench, models[dt], batch, a.threads, a.frames)
            print("%-12s %6d %10.2f %10.2f %8.2f" % ("ilgnet-" + dt, batch, ms,
                                                    cv, cv / ms))
    if tmp:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
