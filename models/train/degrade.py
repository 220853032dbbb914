"""Realistic degradations of a photo, the "low quality" class of the proxy
task, and the harmless variations of a pristine photo.

Every degradation takes a uint8 BGR image at a working resolution that is
`u` times the network input size (the image is shrunk to the input size
afterwards, as the runtime does), a strength in [0, 1] (0 = mild but
clearly visible, 1 = extreme) and a numpy Generator; sizes are given in
network-input pixels and multiplied by `u`, so a strength means the same
thing whatever the working resolution.
"""

import cv2
import numpy as np

KINDS = ("defocus", "motion", "underexpose", "overexpose", "low_contrast",
         "fade_black", "fade_white", "noise", "jpeg", "color_cast", "tilt",
         "bad_crop", "crossfade")


def _lerp(a, b, s):
    return a + (b - a) * s


def _clip(x):
    return np.clip(x, 0, 255).astype(np.uint8)


def _disk_blur(img, r):
    n = int(np.ceil(r))
    yy, xx = np.mgrid[-n:n + 1, -n:n + 1]
    # Anti-aliased disk: the defocus point-spread function.
    k = np.clip(r + 0.5 - np.sqrt(xx * xx + yy * yy), 0, 1).astype(np.float32)
    return cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)


def defocus(img, s, rng, u):
    return _disk_blur(img, _lerp(1.3, 5.0, s) * u)


def motion(img, s, rng, u):
    length = _lerp(4.0, 18.0, s) * u
    n = int(np.ceil(length / 2))
    k = np.zeros((2 * n + 1, 2 * n + 1), np.float32)
    a = rng.uniform(0, np.pi)
    for t in np.linspace(-length / 2, length / 2, int(length * 4) + 1):
        k[int(round(n + t * np.sin(a))), int(round(n + t * np.cos(a)))] += 1
    return cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)


def underexpose(img, s, rng, u):
    # Too little light: everything dark, shadows crushed (a gamma > 1 on
    # top of a gain), unlike a fade where the picture stays intact.
    gain = _lerp(0.45, 0.12, s)
    gamma = rng.uniform(1.0, 1.6)
    x = (img.astype(np.float32) / 255.0) ** gamma * gain
    return _clip(x * 255.0)


def overexpose(img, s, rng, u):
    gain = _lerp(1.7, 3.5, s)
    lift = rng.uniform(0, 40)
    return _clip(img.astype(np.float32) * gain + lift)


def low_contrast(img, s, rng, u):
    c = _lerp(0.45, 0.12, s)
    x = img.astype(np.float32)
    m = x.mean() if rng.random() < 0.5 else rng.uniform(60, 190)
    return _clip(m + (x - m) * c)


def fade_black(img, s, rng, u):
    return _clip(img.astype(np.float32) * _lerp(0.5, 0.06, s))


def fade_white(img, s, rng, u):
    a = _lerp(0.5, 0.06, s)
    return _clip(img.astype(np.float32) * a + 255.0 * (1 - a))


def noise(img, s, rng, u):
    # Sensor noise at the working resolution; the shrink to the input size
    # averages u*u pixels, so scale sigma to keep it visible.
    sigma = _lerp(10.0, 40.0, s) * u
    x = img.astype(np.float32)
    if rng.random() < 0.5:
        n = rng.normal(0, sigma, x.shape[:2])[..., None]
    else:
        n = rng.normal(0, sigma, x.shape)
    return _clip(x + n)


def jpeg(img, s, rng, u):
    q = int(round(_lerp(10, 2, s)))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def color_cast(img, s, rng, u):
    k = _lerp(0.3, 0.75, s)
    v = rng.normal(0, 1, 3)
    v -= v.mean()
    v /= np.abs(v).max() + 1e-6
    x = img.astype(np.float32)
    # A gain per channel (wrong white balance) plus a tint offset.
    return _clip(x * (1 + k * v) + 60.0 * k * v)


def tilt(img, s, rng, u):
    angle = _lerp(6.0, 25.0, s) * rng.choice([-1, 1])
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    if rng.random() < 0.5:
        # Rotated frame with empty corners.
        return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_CONSTANT)
    # Tilted camera: rotate and zoom in so no corner is empty.
    a = np.deg2rad(abs(angle))
    zoom = (np.cos(a) + np.sin(a) * max(w / h, h / w))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def bad_crop(img, s, rng, u):
    h, w = img.shape[:2]
    if rng.random() < 0.6:
        # Picture shifted out of the frame, the rest of it empty.
        f = _lerp(0.2, 0.55, s)
        dx, dy = 0, 0
        r = rng.random()
        if r < 0.4:
            dx = f * w * rng.choice([-1, 1])
        elif r < 0.8:
            dy = f * h * rng.choice([-1, 1])
        else:
            dx = f * 0.7 * w * rng.choice([-1, 1])
            dy = f * 0.7 * h * rng.choice([-1, 1])
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        fill = (0, 0, 0) if rng.random() < 0.8 else tuple(int(c) for c in rng.integers(0, 256, 3))
        return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    # A thin strip of the picture stretched over the whole frame.
    ratio = _lerp(3.5, 8.0, s)
    if rng.random() < 0.5:
        sh = max(2, int(h / ratio))
        y0 = int(rng.integers(0, h - sh + 1))
        strip = img[y0:y0 + sh]
    else:
        sw = max(2, int(w / ratio))
        x0 = int(rng.integers(0, w - sw + 1))
        strip = img[:, x0:x0 + sw]
    return cv2.resize(strip, (w, h), interpolation=cv2.INTER_LINEAR)


def crossfade(img, s, rng, u, other=None):
    a = _lerp(0.25, 0.5, s)
    if rng.random() < 0.5:
        a = 1 - a
    if other is None:
        other = img[::-1, ::-1]
    other = cv2.resize(other, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_AREA)
    return _clip(img.astype(np.float32) * a + other.astype(np.float32) * (1 - a))


_FUNCS = {k: globals()[k] for k in KINDS}


def apply(img, kind, s, rng, u=1.0, other=None):
    if kind == "crossfade":
        return crossfade(img, s, rng, u, other)
    return _FUNCS[kind](img, s, rng, u)


def shallow_focus(img, rng, u=1.0):
    """A wide-aperture look: the most detailed part of the picture stays
    sharp and the rest goes softly out of focus.  Real defocus blurs the
    whole frame; a sharp subject on a blurred background is a good photo
    (the held-out dandelions, brushes and bird scored as "defocused"
    without this)."""
    h, w = img.shape[:2]
    grey = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = cv2.GaussianBlur(np.abs(cv2.Laplacian(grey, cv2.CV_32F)), (0, 0), 0.12 * min(h, w))
    # Subjects sit near the middle more often than not; a textured corner
    # (a flag, foliage) is not what the photographer focused on.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    prior = np.exp(-(((yy - h / 2) / (0.3 * h)) ** 2 + ((xx - w / 2) / (0.3 * w)) ** 2))
    cy, cx = np.unravel_index(int(np.argmax(detail * prior)), detail.shape)
    area = rng.uniform(0.2, 0.5) * h * w
    ar = np.exp(rng.uniform(np.log(0.6), np.log(1.7)))
    ry, rx = np.sqrt(area / np.pi / ar), np.sqrt(area * ar / np.pi)
    d = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
    # Sharp inside, a soft edge (depth of field falls off gradually).
    mask = np.clip((1.6 - d) / 0.8, 0, 1)[..., None]
    soft = _disk_blur(img, rng.uniform(2.0, 6.0) * u).astype(np.float32)
    return _clip(img.astype(np.float32) * mask + soft * (1 - mask))


def pristine_variation(img, rng, u=1.0, shallow_focus_p=0.0):
    """Changes a good photo stays good under: small exposure shifts, more
    contrast, saturation or sharpness, black and white, light JPEG
    compression, a mirror image, and on @shallow_focus_p of them a shallow
    depth of field (0, the earlier stages' mix, draws nothing for it)."""
    x = img
    if rng.random() < 0.5:
        x = x[:, ::-1]
    if shallow_focus_p and rng.random() < shallow_focus_p:
        x = shallow_focus(x, rng, u)
    if rng.random() < 0.6:
        # Vivid, contrasty and crisp pictures are good pictures too: without
        # these the net takes fine detail for noise and strong colour for a
        # cast (seen on the held-out photos).
        g = rng.uniform(0.9, 1.1)
        c = rng.uniform(0.9, 1.25)
        f = x.astype(np.float32)
        m = f.mean()
        x = _clip((m + (f - m) * c) * g)
    if rng.random() < 0.3:
        hsv = cv2.cvtColor(np.ascontiguousarray(x), cv2.COLOR_BGR2HSV).astype(np.float32)
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.85, 1.35), 0, 255)
        x = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    if rng.random() < 0.3:
        f = x.astype(np.float32)
        blur = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.8, 2.0) * u)
        x = _clip(f + rng.uniform(0.3, 1.0) * (f - blur))
    if rng.random() < 0.08:
        g = cv2.cvtColor(np.ascontiguousarray(x), cv2.COLOR_BGR2GRAY)
        x = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(x),
                               [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(75, 96))])
        x = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(x)


def random_crop(photo, rng, size, u, min_area=0.35):
    """A good crop of @photo (area >= @min_area, aspect 0.6..1.9), at the
    working resolution round(size*u) square (squashed, as the runtime's
    default resize does).  Crops are never blown up by more than 1.15:
    an upscaled crop is soft, and a soft picture labelled "good" teaches
    the net that defocus is fine (the small sample photos would do that)."""
    h, w = photo.shape[:2]
    ws = int(round(size * u))
    floor = ws / 1.15
    if min(h, w) < floor:
        ws = max(size, int(min(h, w) * 1.15))
        floor = ws / 1.15
    for _ in range(20):
        area = rng.uniform(min_area, 1.0) * h * w
        ar = np.exp(rng.uniform(np.log(0.6), np.log(1.9)))
        cw = int(round(np.sqrt(area * ar)))
        ch = int(round(np.sqrt(area / ar)))
        if floor <= cw <= w and floor <= ch <= h:
            break
    else:
        cw, ch = w, h
    x0 = int(rng.integers(0, w - cw + 1))
    y0 = int(rng.integers(0, h - ch + 1))
    return cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], (ws, ws), interpolation=cv2.INTER_AREA)


def to_input(img, size):
    """uint8 BGR at the working resolution -> float32 3 x size x size,
    mean subtracted (what libilgnet's SQUASH preprocessing produces)."""
    from net import MEAN_BGR
    if img.shape[0] != size or img.shape[1] != size:
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    x = img.astype(np.float32) - np.array(MEAN_BGR, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))
