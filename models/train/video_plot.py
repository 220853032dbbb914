#!/usr/bin/python3
"""The score on video: a clip stitched from held-out photos (slow pans,
fades to black and white, a black gap, a focus pull, a cross-fade, a noisy
stretch) is scored frame by frame through libilgnet (ilgnet-score, the
exported model) and plotted with the clip's known good/bad segments.

Usage: video_plot.py WORKDIR --model M.ilgnet --score ilgnet-score -o PLOT.png
"""

import argparse
import os
import sys

import cv2
import numpy as np

import degrade  # noqa: E402
import net  # noqa: E402
import photos  # noqa: E402
from evaluate import score_with_libilgnet  # noqa: E402

W, H, FPS = 480, 270, 10


def pan(photo, t):
    """A 16:9 window sliding slowly across the photo (t in 0..1)."""
    h, w = photo.shape[:2]
    cw = int(min(w * 0.75, h * 0.85 * 16 / 9))
    ch = int(cw * 9 / 16)
    x0 = int((w - cw) * (0.2 + 0.6 * t))
    y0 = int((h - ch) * 0.5)
    return cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], (W, H), interpolation=cv2.INTER_AREA)


def build_clip(val):
    a, b, c = val[1], val[5], val[11]
    frames, labels, segments = [], [], []

    def seg(name, seconds, good, fn):
        n = int(seconds * FPS)
        segments.append((len(frames) / FPS, (len(frames) + n) / FPS, name, good))
        for i in range(n):
            frames.append(fn(i / max(1, n - 1)))
            labels.append(good)

    black = np.zeros((H, W, 3), np.uint8)
    white = np.full((H, W, 3), 255, np.uint8)
    mix = lambda x, y, k: (x * (1 - k) + y * k).astype(np.uint8)
    rng = np.random.default_rng(5)
    seg("photo A", 3, True, lambda t: pan(a, t * 0.3))
    seg("fade to black", 1, False, lambda t: mix(pan(a, 0.3), black, 0.3 + 0.7 * t))
    seg("black", 1, False, lambda t: black)
    seg("fade in B", 1, False, lambda t: mix(black, pan(b, 0), 0.3 + 0.6 * t))
    seg("photo B", 3, True, lambda t: pan(b, t * 0.3))
    seg("focus lost", 2.5, False,
        lambda t: degrade.defocus(pan(b, 0.3), min(1.0, 0.2 + t), rng, W / net.INPUT_SIZE * 0.6))
    seg("photo B", 2, True, lambda t: pan(b, 0.3 + t * 0.2))
    seg("cross-fade B>C", 1.5, False, lambda t: mix(pan(b, 0.5), pan(c, 0), 0.2 + 0.6 * t))
    seg("photo C", 3, True, lambda t: pan(c, t * 0.3))
    seg("noisy", 2, False,
        lambda t: degrade.noise(pan(c, 0.3), 0.6, rng, W / net.INPUT_SIZE * 0.6))
    seg("photo C", 2, True, lambda t: pan(c, 0.3 + 0.2 * t))
    seg("fade to white", 1.5, False, lambda t: mix(pan(c, 0.5), white, 0.3 + 0.7 * t))
    return frames, np.array(labels), segments


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--model", required=True)
    ap.add_argument("--score", default="ilgnet-score")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    val, _ = photos.load(os.path.join(a.workdir, "cache", "val.npz"))
    frames, labels, segments = build_clip(val)
    x = np.stack([degrade.to_input(f, net.INPUT_SIZE) for f in frames])
    scores = score_with_libilgnet(a.score, a.model, x)
    t = np.arange(len(frames)) / FPS
    good, bad = scores[labels], scores[~labels]
    print("frames %d: good mean %.3f min %.3f | bad mean %.3f max %.3f" % (
        len(frames), good.mean(), good.min(), bad.mean(), bad.max()))
    for s0, s1, name, ok in segments:
        seg = scores[(t >= s0 - 1e-9) & (t < s1 - 1e-9)]
        print("  %5.1f-%5.1f s %-16s %-5s mean %.3f  first %.3f  last %.3f" % (
            s0, s1, name, "clean" if ok else "bad", seg.mean(), seg[0], seg[-1]))

    fig = plt.figure(figsize=(11, 4.6), dpi=90)
    strip = fig.add_axes([0.06, 0.70, 0.92, 0.28])
    thumbs = [frames[int(s0 * FPS + (s1 - s0) * FPS / 2)] for s0, s1, _, _ in segments]
    th = [cv2.resize(f, (160, 90), interpolation=cv2.INTER_AREA) for f in thumbs]
    strip.imshow(cv2.cvtColor(np.hstack(th), cv2.COLOR_BGR2RGB))
    strip.axis("off")
    ax = fig.add_axes([0.06, 0.12, 0.92, 0.55])
    for s0, s1, name, ok in segments:
        if not ok:
            ax.axvspan(s0, s1, color="#f4c7c3", lw=0)
        ax.text((s0 + s1) / 2, 1.02, name, ha="center", va="bottom", fontsize=7)
    ax.plot(t, scores, color="#1a5fb4", lw=1.6)
    ax.set_ylim(0, 1.08)
    ax.set_xlim(0, t[-1])
    ax.set_xlabel("time (s), shaded: degraded frames")
    ax.set_ylabel("P(high)")
    ax.grid(alpha=0.3)
    fig.savefig(a.output)
    print("wrote", a.output)


if __name__ == "__main__":
    sys.exit(main())
