"""Shared helpers of the end-to-end tests (run with /usr/bin/python3)."""
import json
import os
import subprocess
import sys

SKIP = 77


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def need_model(source_root):
    """Exits with the skip code when no model exists yet."""
    env = os.environ.get("ILGNET_MODEL")
    if env and os.path.exists(env):
        return env
    default = os.path.join(source_root, "models", "default.ilgnet")
    if os.path.exists(default):
        return default
    print("SKIP: no model (models/default.ilgnet or $ILGNET_MODEL)")
    sys.exit(SKIP)


def run(cmd, timeout=300, env=None):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=env)
    print(p.stdout[-3000:], end="")
    print(p.stderr[-3000:], end="", file=sys.stderr)
    return p


def load_truth(path):
    with open(path) as f:
        return json.load(f)


def segment_at(truth, t):
    for seg in truth:
        if seg["start"] <= t < seg["end"]:
            return seg
    return truth[-1]


def read_frames(video, indices):
    """The decoded frames (BGR) of @video at @indices, decoded by OpenCV
    (FFmpeg), independently of GStreamer."""
    import cv2
    want = set(indices)
    out = {}
    cap = cv2.VideoCapture(video)
    i = 0
    while want - set(out):
        ok, frame = cap.read()
        if not ok:
            break
        if i in want:
            out[i] = frame
        i += 1
    return out
