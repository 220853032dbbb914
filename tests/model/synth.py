"""Photo-like test images made from a seed: no photo has to ship with the
tests.  Sky and ground gradients, a ridge line, 1/f ("natural") texture and
a few shaded objects with sharp edges, so that blur, noise, fades and
blocking change it the way they change a photograph."""

import cv2
import numpy as np


def pink_noise(rng, h, w):
    f = np.fft.fft2(rng.normal(0, 1, (h, w)))
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    r = np.sqrt(fx * fx + fy * fy)
    r[0, 0] = 1.0
    n = np.real(np.fft.ifft2(f / r))
    return (n - n.mean()) / (n.std() + 1e-9)


def photo(seed, h=320, w=400):
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    sky = np.array(rng.uniform([150, 90, 40], [255, 200, 150]))
    ground = np.array(rng.uniform([10, 40, 30], [90, 160, 140]))
    img = np.zeros((h, w, 3)) + sky * (1 - 0.5 * y)
    ridge = (0.45 + 0.12 * pink_noise(rng, 1, w)[0] / 3) * h
    rows = np.arange(h)[:, None]
    mask = rows > ridge[None, :]
    tex = pink_noise(rng, h, w)[..., None]
    img = np.where(mask[..., None], ground * (0.7 + 0.6 * y) + 25 * tex, img + 6 * tex)
    for _ in range(int(rng.integers(3, 7))):
        c = tuple(int(v) for v in rng.integers(0, 256, 3))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(h // 3, h))
        r = int(rng.integers(8, h // 6))
        if rng.random() < 0.5:
            cv2.circle(img, (cx, cy), r, c, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r // 2), c, -1, cv2.LINE_AA)
    img += 3 * rng.normal(0, 1, img.shape)  # sensor grain
    return np.clip(img, 0, 255).astype(np.uint8)
