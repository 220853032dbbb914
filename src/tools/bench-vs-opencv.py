#!/usr/bin/python3
"""Times ilgnet-bench against OpenCV DNN on the same net, interleaved.

    bench-vs-opencv.py --prototxt deploy.prototxt --caffemodel W.caffemodel
        --model f32=a.ilgnet [--model i8=b.ilgnet ...] [--bench ilgnet-bench]
        [--batch 1 8] [--threads 2] [--frames 24] [--rounds 3]

Each round runs OpenCV and every model once per batch size, so a busy
machine slows all of them alike; the best median over rounds is reported
with its ratio to OpenCV's fp32 time at the same batch size.
"""

import argparse
import re
import subprocess
import sys
import time


def opencv_times(net, batch, frames):
    import numpy as np
    x = np.random.default_rng(1).uniform(-120, 130,
                                          (batch, 3, 227, 227)).astype(np.float32)
    net.setInput(x)
    net.forward()                                   # warm-up
    runs = max(3, -(-frames // batch))
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        net.setInput(x)
        net.forward()
        t.append((time.perf_counter() - t0) * 1000.0 / batch)
    t.sort()
    return t[0], t[len(t) // 2]


def ilgnet_times(bench, model, batch, threads, frames):
    out = subprocess.run([bench, "-m", model, "--batch", str(batch),
                          "--threads", str(threads), "--frames", str(frames)],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"min ([\d.]+) ms/frame, median ([\d.]+) ms/frame", out)
    if not m:
        sys.exit("unexpected ilgnet-bench output: " + out)
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prototxt", required=True)
    ap.add_argument("--caffemodel", required=True)
    ap.add_argument("--model", action="append", required=True,
                    help="LABEL=PATH of an .ilgnet file")
    ap.add_argument("--bench", default="ilgnet-bench")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()

    import cv2
    cv2.setNumThreads(a.threads)
    net = cv2.dnn.readNetFromCaffe(a.prototxt, a.caffemodel)
    models = [m.split("=", 1) for m in a.model]
    best = {}
    for r in range(a.rounds):
        for b in a.batch:
            res = {"opencv-f32": opencv_times(net, b, a.frames)}
            for label, path in models:
                res[label] = ilgnet_times(a.bench, path, b, a.threads, a.frames)
            for k, (mn, med) in res.items():
                old = best.get((k, b))
                best[(k, b)] = (min(mn, old[0]) if old else mn,
                                min(med, old[1]) if old else med)
            print("round %d batch %d: " % (r + 1, b) + ", ".join(
                "%s %.1f" % (k, v[1]) for k, v in res.items()), flush=True)
    print("best median over %d rounds (ms/frame, %d threads):" % (a.rounds,
                                                                a.threads))
    for b in a.batch:
        ref = best[("opencv-f32", b)][1]
        for k in ["opencv-f32"] + [l for l, _ in models]:
            mn, med = best[(k, b)]
            print("  batch %d %-12s min %7.2f median %7.2f  %.2fx opencv"
                  % (b, k, mn, med, med / ref))


if __name__ == "__main__":
    main()
