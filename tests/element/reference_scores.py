#!/usr/bin/python3
"""Reference scores for the element tests, from OpenCV DNN (not libilgnet).

Scores solid-colour 227x227 images with the Caffe prototxt + caffemodel and
writes one line per colour: "R G B score".  A solid frame stays the same
colour through any resize or crop, so the element must report exactly this
score for a solid RGB frame of that colour, whatever its size.

usage: reference_scores.py PROTOTXT CAFFEMODEL MEAN_B,MEAN_G,MEAN_R OUT
"""
import sys

import cv2
import numpy as np

# Colours spread over the cube (R, G, B), including the extremes.
COLOURS = [(0, 0, 0), (255, 255, 255), (200, 120, 30), (30, 160, 220),
           (128, 128, 128), (240, 40, 90)]


def main(argv):
    proto, weights, mean, out = argv[1:5]
    mean = [float(v) for v in mean.split(",")]
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromCaffe(proto, weights)
    lines = []
    for r, g, b in COLOURS:
        img = np.empty((227, 227, 3), np.uint8)
        img[:] = (b, g, r)  # OpenCV images are B, G, R like the network input
        blob = cv2.dnn.blobFromImage(img, 1.0, (227, 227), mean, swapRB=False)
        net.setInput(blob)
        prob = net.forward().reshape(-1)
        lines.append("%d %d %d %.9f\n" % (r, g, b, prob[1]))
    with open(out, "w") as f:
        f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
