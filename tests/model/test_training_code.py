#!/usr/bin/python3
"""Unit checks of the training code's small parts that need no data:
the Qt resource reader photos.py takes GCompris' pictures with, its
readers of the raw-array pictures, that export picks the averaged
weights when a checkpoint has them, and that the shallow-focus variation
keeps the subject sharp and blurs the rest."""

import json
import os
import struct
import sys
import tempfile
import zlib

import numpy as np
import torch

import confidence
import degrade
import evaluate
import export
import net
import photos
import qrc
import soup

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


def make_rcc(files, version=3):
    """A bundle laid out as Qt's rcc writes it: a root directory holding a
    directory "d" (all but the first file) and the first file; @files is a
    list of (name, bytes, compress)."""
    names = b""
    name_off = {}
    for n in ["d"] + [f[0] for f in files]:
        name_off[n] = len(names)
        enc = n.encode("utf-16-be")
        names += struct.pack(">HI", len(n), 0) + enc
    data = b""
    data_off = []
    for _, payload, compress in files:
        blob = struct.pack(">I", len(payload)) + zlib.compress(payload) if compress else payload
        data_off.append(len(data))
        data += struct.pack(">I", len(blob)) + blob
    esz = 14 if version == 1 else 22
    pad = b"" if version == 1 else b"\0" * 8

    def dir_entry(noff, count, first):
        return struct.pack(">IHII", noff, 2, count, first) + pad

    def file_entry(noff, flags, doff):
        return struct.pack(">IHHHI", noff, flags, 0, 0, doff) + pad
    # 0 root: [1 file0, 2 d]; d: [3.. rest]
    tree = dir_entry(0, 2, 1)
    tree += file_entry(name_off[files[0][0]], 1 if files[0][2] else 0, data_off[0])
    tree += dir_entry(name_off["d"], len(files) - 1, 3)
    for i, (n, _, c) in enumerate(files[1:], 1):
        tree += file_entry(name_off[n], 1 if c else 0, data_off[i])
    assert len(tree) == esz * (2 + len(files))
    header_len = 20 if version < 3 else 24
    tree_at = header_len
    data_at = tree_at + len(tree)
    names_at = data_at + len(data)
    header = b"qres" + struct.pack(">IIII", version, tree_at, data_at, names_at)
    if version >= 3:
        header += struct.pack(">I", 0)
    return header + tree + data + names


def test_qrc():
    files = [("top.webp", b"\x01\x02" * 50, False),
             ("a.jpg", b"JPEGDATA" * 100, True),
             ("b.txt", "héllo".encode(), False)]
    for version in (1, 2, 3):
        got = dict(qrc.files(make_rcc(files, version)))
        want = {"/top.webp": files[0][1], "/d/a.jpg": files[1][1], "/d/b.txt": files[2][1]}
        check(got == want, "rcc v%d: read %r" % (version, sorted(got)))
    blob = make_rcc(files)
    for bad, what in ((b"qrez" + blob[4:], "bad magic"),
                      (blob[:40], "truncated tree"),
                      (blob[:len(blob) - 60], "truncated data"),
                      (blob[:4] + struct.pack(">I", 9) + blob[8:], "version 9")):
        try:
            list(qrc.files(bad))
            check(False, "%s accepted" % what)
        except qrc.RccError:
            pass


def test_export_prefers_average():
    torch.manual_seed(0)
    a = net.IlgnetNet("ilgnet-compact", bn=True)
    b = net.IlgnetNet("ilgnet-compact", bn=True)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ck.pt")
        torch.save(dict(model=a.state_dict(), ema=b.state_dict(), arch="ilgnet-compact"), path)
        m, _ = export.load_checkpoint(path)
        k = next(n for n, v in a.state_dict().items() if v.dtype.is_floating_point
                 and v.numel() > 1 and not torch.equal(v, b.state_dict()[n]))
        check(torch.equal(m.state_dict()[k], b.state_dict()[k]),
              "export took the raw weights, not the average")
        torch.save(dict(model=a.state_dict(), arch="ilgnet-compact"), path)
        m, _ = export.load_checkpoint(path)
        check(torch.equal(m.state_dict()[k], a.state_dict()[k]),
              "export without an average changed the weights")


def test_raw_pictures():
    """SciPy's face (bz2 of 768x1024x3 RGB) and PyWavelets' aerial view (a
    greyscale array in an .npz) come back as BGR pictures."""
    import bz2
    import numpy as np
    rgb = np.zeros((768, 1024, 3), np.uint8)
    rgb[..., 0] = 200  # red
    rgb[10, 20] = (1, 2, 3)
    grey = (np.arange(64 * 48) % 256).reshape(48, 64).astype(np.float64)
    with tempfile.TemporaryDirectory() as d:
        dat = os.path.join(d, "face.dat")
        with open(dat, "wb") as f:
            f.write(bz2.compress(rgb.tobytes()))
        img = photos.read_picture(dat)
        check(img is not None and img.shape == (768, 1024, 3) and img[0, 0, 2] == 200
              and img[0, 0, 0] == 0 and tuple(img[10, 20]) == (3, 2, 1),
              "face.dat not read as BGR")
        with open(dat, "wb") as f:
            f.write(bz2.compress(rgb.tobytes()[:-3]))
        check(photos.read_picture(dat) is None, "short face.dat accepted")
        npz = os.path.join(d, "aero.npz")
        np.savez(npz, data=grey)
        img = photos.read_picture(npz)
        check(img is not None and img.shape == (48, 64, 3)
              and np.array_equal(img[..., 1], grey.astype(np.uint8)),
              "aero.npz not read as a grey BGR picture")


def test_jigzo_and_crops():
    """A Jigzo puzzle gives back the picture its header locates in the
    1024-px texture atlas (not the thumbnail stored before it, nor the
    pieces); a broken puzzle or a crop outside the picture gives None."""
    import cv2
    import numpy as np
    atlas = np.zeros((1024, 1024, 3), np.uint8)
    atlas[0:300, 0:400] = (0, 0, 255)      # the picture: red
    atlas[300:, :] = (255, 0, 0)           # pieces: blue
    thumb = np.full((100, 130, 3), (0, 255, 0), np.uint8)
    header = b"PzlF\n0.1\nx\nhttp://example.invalid/\nx.map\n20\n#texture map data\n" \
        b"crop000 0 300 10 10 0 0 0 0 0 0\nimage 0 0 400 300 1 1\nx-t.jpg\n"

    def jpg(a):
        return cv2.imencode(".jpg", a, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    with tempfile.TemporaryDirectory() as d:
        pzl = os.path.join(d, "x.pzl")
        with open(pzl, "wb") as f:
            f.write(header + jpg(thumb) + b"\nx.jpg\n" + jpg(atlas))
        img = photos.read_picture(pzl)
        check(img is not None and img.shape == (300, 400, 3)
              and abs(int(img[150, 200, 2]) - 255) < 8 and int(img[150, 200, 0]) < 8,
              "jigzo picture not cut out of the atlas")
        img = photos.read_picture(pzl + "[10:110,20:220]")
        check(img is not None and img.shape == (100, 200, 3), "crop suffix not applied")
        check(photos.read_picture(pzl + "[0:301,0:400]") is None,
              "a crop past the picture's edge was accepted")
        check(photos.read_picture(pzl + "[50:50,0:400]") is None,
              "an empty crop was accepted")
        with open(pzl, "wb") as f:
            f.write(header + jpg(thumb))
        check(photos.read_picture(pzl) is None, "a puzzle without its atlas was accepted")


def test_soup():
    """A soup is the mean of each input's averaged weights (its raw weights
    when it has none); BatchNorm's batch counters are copied, not averaged."""
    a = {"w": torch.tensor([1.0, 2.0]), "n": torch.tensor(7)}
    b = {"w": torch.tensor([3.0, 6.0]), "n": torch.tensor(9)}
    junk = {"w": torch.tensor([100.0, 100.0]), "n": torch.tensor(0)}
    with tempfile.TemporaryDirectory() as d:
        pa, pb = os.path.join(d, "a.pt"), os.path.join(d, "b.pt")
        torch.save(dict(model=junk, ema=a, arch="ilgnet-compact", step=3), pa)
        torch.save(dict(model=b, arch="ilgnet-compact", step=5), pb)
        out = soup.soup([pa, pb])
        torch.save(dict(model={"w": torch.zeros(3), "n": torch.tensor(1)}), pb)
        try:
            soup.soup([pa, pb])
            check(False, "a soup of two different networks was made")
        except SystemExit:
            pass
        try:
            soup.soup([pa, os.path.join(d, "missing.pt")])
            check(False, "a soup with a missing checkpoint was made")
        except SystemExit as e:
            check("soup.py: cannot read" in str(e.code), "no clear message for a missing checkpoint")
    check(torch.allclose(out["model"]["w"], torch.tensor([2.0, 4.0])),
          "soup is not the mean of the averaged weights: %s" % out["model"]["w"])
    check(int(out["model"]["n"]) == 7 and out["model"]["n"].dtype == torch.int64,
          "soup changed the batch counter")
    check(out["arch"] == "ilgnet-compact" and "ema" not in out,
          "soup checkpoint not readable as one")


def test_kind_weights():
    """--kind-weights names types exactly (a typo must not silently leave
    the mix unchanged) and changes what make_pair draws."""
    import argparse
    import numpy as np
    import train
    check(train.parse_kind_weights("tilt=1.6,crossfade=0") == {"tilt": 1.6, "crossfade": 0.0},
          "kind weights misread")
    for bad in ("tlt=1", "tilt=-1", "tilt=x"):
        try:
            train.parse_kind_weights(bad)
            check(False, "kind weights %r accepted" % bad)
        except (argparse.ArgumentTypeError, ValueError):
            pass
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    kinds, probs = train.kind_probs({k: 0.0 for k in degrade.KINDS if k != "noise"})
    _, default = train.kind_probs()
    check(abs(default[kinds.index("tilt")] - 1.0 / sum(train.KIND_WEIGHTS.values())) < 1e-9,
          "default mix is not KIND_WEIGHTS")
    drawn = {train.make_pair([photo], rng, 64, kinds, probs, 0.5, 0.0)[2] for _ in range(5)}
    check(drawn == {"noise"}, "weights not obeyed: drew %s" % sorted(drawn))
    try:
        train.kind_probs({k: 0.0 for k in degrade.KINDS})
        check(False, "all-zero kind weights accepted")
    except ValueError:
        pass


def test_shallow_focus():
    """A detailed subject near the middle stays sharp; detail in a corner,
    far from it, is blurred away; pristine_variation applies it when asked
    (it then draws from the generator, which at probability 0 it must not,
    or the earlier stages' data mix would change)."""
    import numpy as np
    rng = np.random.default_rng(5)
    img = np.full((240, 240, 3), 128, np.uint8)
    board = ((np.indices((40, 40)).sum(0) // 2) % 2 * 200 + 20).astype(np.uint8)
    img[100:140, 110:150] = board[..., None]
    img[0:40, 0:40] = board[..., None]

    def sharpness(x, y0, x0):
        g = x[y0:y0 + 40, x0:x0 + 40, 1].astype(np.float32)
        return float(np.abs(np.diff(g, axis=1)).mean())
    out = degrade.shallow_focus(img, rng, 1.0)
    check(out.shape == img.shape and out.dtype == np.uint8, "shallow_focus changed the shape")
    check(sharpness(out, 100, 110) > 0.9 * sharpness(img, 100, 110),
          "shallow_focus blurred the subject (%.1f -> %.1f)"
          % (sharpness(img, 100, 110), sharpness(out, 100, 110)))
    check(sharpness(out, 0, 0) < 0.5 * sharpness(img, 0, 0),
          "shallow_focus left the far corner sharp (%.1f -> %.1f)"
          % (sharpness(img, 0, 0), sharpness(out, 0, 0)))
    a = np.random.default_rng(9)
    degrade.pristine_variation(img, a, 1.0, 0.0)
    b = np.random.default_rng(9)
    degrade.pristine_variation(img, b, 1.0, 1.0)
    check(a.random() != b.random(), "shallow focus at 1.0 drew nothing")


def test_held_out_sets_apart():
    """The test photos' packages are read by nothing else: not by training
    (photos, art, GCompris' bundles) and not by the validation set."""
    used = (set(photos.TRAIN_PACKAGES) | set(photos.EXTRA_PHOTOS) | set(photos.EXTRA_ART)
            | set(photos.MORE_PHOTOS)
            | {photos.RCC_PACKAGE})
    test = set(photos.TEST_PHOTOS)
    check(len(test) >= 3 and sum(len(v) for v in photos.TEST_PHOTOS.values()) >= 30,
          "the test set shrank")
    check(not test & used, "test packages also feed training: %s" % sorted(test & used))
    check(not test & set(photos.VAL_PACKAGES), "test packages overlap validation")
    check(not set(photos.VAL_PACKAGES) & used,
          "validation packages feed training: %s" % sorted(set(photos.VAL_PACKAGES) & used))


def test_confidence():
    """confidence.py's weighted metrics equal evaluate.py's on the full set
    and a plain recount on a set with photos repeated or dropped; a clean
    separation has a zero-width interval; a model compared with itself
    differs by nothing."""
    rng = np.random.default_rng(3)
    crops, kinds = 3, ("defocus", "jpeg")
    meta = []
    for g in range(5 * crops):
        meta.append((g, "pristine", 0.0))
        meta += [(g, k, s) for k in kinds for s in (0.1, 0.9)]
    scores = rng.random(len(meta)).astype(np.float32)
    scores[::7] = 0.5  # ties count a half in the AUC
    rep = evaluate.report(scores, meta, crops=crops)
    sc = confidence.Scores(rep["images"])
    pw, auc = sc.metrics(np.ones(sc.n_photos))
    check(abs(pw - rep["pairwise"]) < 1e-9 and abs(auc - rep["auc"]) < 1e-9,
          "confidence metrics %.6f/%.6f differ from evaluate's %.6f/%.6f"
          % (pw, auc, rep["pairwise"], rep["auc"]))
    w = np.array([2.0, 0.0, 1.0, 3.0, 1.0])
    photo = np.array(rep["images"]["photo"])
    pri = np.array(rep["images"]["pristine_of"])
    sco = np.array(rep["images"]["score"])
    pos, neg, wins = [], [], []
    for p in range(5):
        for _ in range(int(w[p])):
            for i in np.flatnonzero(photo == p):
                if pri[i] < 0:
                    pos.append(sco[i])
                else:
                    neg.append(sco[i])
                    wins.append(float(sco[pri[i]] > sco[i]))
    pw, auc = sc.metrics(w)
    check(abs(pw - np.mean(wins)) < 1e-9 and abs(auc - evaluate.auc(pos, neg)) < 1e-9,
          "weighted metrics are not the metrics of the resampled set")
    clean = np.where(np.array([k == "pristine" for _, k, _ in meta]), 0.9, 0.1)
    rep2 = evaluate.report(clean, meta, crops=crops)
    check(rep2["interval95"]["auc"] == (1.0, 1.0) and rep2["interval95"]["pairwise"] == (1.0, 1.0),
          "a clean separation has a non-zero interval: %s" % rep2["interval95"])
    check(rep["interval95"]["auc"][0] < rep["auc"] < rep["interval95"]["auc"][1],
          "the AUC lies outside its own interval")
    boot = confidence.bootstrap([sc, confidence.Scores(rep["images"])], resamples=50)
    check(np.all(boot[:, 0] == boot[:, 1]), "a model compared with itself differs")
    other = dict(rep["images"], photo=list(reversed(rep["images"]["photo"])))
    check(confidence.Scores(other).key() != sc.key(), "different sets compare as the same")
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write('{"pytorch": {"pairwise": 1.0}}')
        torn = os.path.join(d, "torn.json")
        with open(torn, "w") as f:
            json.dump({"pytorch": {"images": {"photo": [0], "score": [0.5]}}}, f)
        for path in (bad, torn, os.path.join(d, "missing.json")):
            try:
                confidence.load(path)
                check(False, "confidence.load accepted %s" % os.path.basename(path))
            except SystemExit as e:
                check("confidence.py:" in str(e.code), "no clear message for %s" % path)


def test_ensemble():
    """The ensemble of a model with itself is that model; two members give
    the sigmoid of their mean logit image by image (checked against a
    direct computation, and it is not the mean probability); members
    evaluated on different sets are refused."""
    rng = np.random.default_rng(5)
    meta = []
    for g in range(4 * 3):
        meta.append((g, "pristine", 0.0))
        meta += [(g, k, 0.5) for k in ("noise", "tilt")]
    a = rng.uniform(0.01, 0.99, len(meta))
    b = rng.uniform(0.01, 0.99, len(meta))
    ra, rb = evaluate.report(a, meta), evaluate.report(b, meta)
    sa, sb = confidence.Scores(ra["images"]), confidence.Scores(rb["images"])
    self_ens = confidence.ensemble([sa, sa])
    check(np.allclose(self_ens.score, sa.score, atol=1e-6), "a model's ensemble with itself differs")
    ens = confidence.ensemble([sa, sb])
    la, lb = np.log(sa.score / (1 - sa.score)), np.log(sb.score / (1 - sb.score))
    want = 1 / (1 + np.exp(-(la + lb) / 2))
    check(np.allclose(ens.score, want, atol=1e-9), "the ensemble is not the mean logit")
    check(not np.allclose(ens.score, (sa.score + sb.score) / 2, atol=1e-3),
          "the test cannot tell the mean logit from the mean probability")
    pw, auc = ens.metrics(np.ones(ens.n_photos))
    rep = evaluate.report(want, meta)
    check(abs(pw - rep["pairwise"]) < 1e-9 and abs(auc - rep["auc"]) < 1e-9,
          "the ensemble's metrics differ from evaluate's on its scores")
    other = dict(ra["images"], photo=list(reversed(ra["images"]["photo"])))
    try:
        confidence.ensemble([sa, confidence.Scores(other)])
        check(False, "an ensemble of different sets was accepted")
    except SystemExit as e:
        check("confidence.py:" in str(e.code), "no clear message for different sets")


def test_framing_training():
    """framing_cells.py's parts (issue 17): the decision hinge is zero
    exactly when the suggestion rule is met with room (a frame to keep:
    every crop below the whole frame + 0.01; a framed one: the target crop
    above it + 0.05) and its gradient mends a miss; the held-out fold is
    scored by the rule (IoU of the pick, keep rate); the extra full frames
    are whole 640x360 frames."""
    import framing_cells as fc
    na = fc.NB
    keep_t = np.zeros((1, na), np.float32)
    keep_t[0, 0] = 1
    framed_t = np.zeros((1, na), np.float32)
    framed_t[0, 7] = 1

    def logits(p):
        p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
        return torch.tensor(np.log(p / (1 - p)), dtype=torch.float32)[None]

    base = np.full(na, 0.5)
    ok_keep = base.copy(); ok_keep[0] = 0.6; ok_keep[1:] = 0.605
    bad_keep = ok_keep.copy(); bad_keep[3] = 0.7
    check(float(fc.decision_loss(logits(ok_keep), torch.from_numpy(keep_t))) == 0,
          "decision hinge: a kept frame within the margin costs something")
    z = logits(bad_keep).requires_grad_()
    loss = fc.decision_loss(z, torch.from_numpy(keep_t))
    loss.backward()
    check(abs(float(loss) - (0.7 - 0.6 - 0.01)) < 1e-4,
          "decision hinge: a crop 0.1 above a frame to keep costs %.4f, not 0.09" % float(loss))
    check(z.grad[0, 3] > 0 and z.grad[0, 0] < 0,
          "decision hinge: its gradient does not lower the crop and raise the frame")
    ok_framed = base.copy(); ok_framed[0] = 0.3; ok_framed[7] = 0.36
    check(float(fc.decision_loss(logits(ok_framed), torch.from_numpy(framed_t))) == 0,
          "decision hinge: a target crop 0.06 above the frame costs something")
    bad_framed = ok_framed.copy(); bad_framed[7] = 0.31
    check(abs(float(fc.decision_loss(logits(bad_framed), torch.from_numpy(framed_t)))
              - 0.04) < 1e-4, "decision hinge: a target crop 0.01 above the frame costs not 0.04")

    # the fold's figures: frame 0 framed at anchor 7 and picked; frame 1
    # framed, nothing leads (the whole frame is picked); frame 2 to keep
    # and kept; frame 3 to keep, a crop leads by 0.2
    rects = [fc.A[7], fc.A[20], (0, 0, fc.W, fc.H), (0, 0, fc.W, fc.H)]
    probs = np.full((4, na), 0.4)
    probs[0, 7] = 0.9
    probs[3, 30] = 0.6
    L = logits(probs)[0]
    C = torch.zeros((4, 1, 1, 1), dtype=torch.float16)
    iou, keep = fc.evaluate_frames(None, C, L, rects, np.arange(4), None, False)
    want = (1.0 + fc.fe.iou(fc.A[0], fc.A[20])) / 2
    check(abs(iou - want) < 1e-9 and keep == 0.5,
          "fold figures: IoU %.3f keep %.2f, not %.3f and 0.50" % (iou, keep, want))

    rng = np.random.default_rng(1)
    photo = rng.integers(0, 255, (300, 500, 3), dtype=np.uint8)
    for make in (fc.keep_frames, fc.degraded_keep_frames):
        fr = make([photo, photo], np.random.default_rng(2), 3)
        check(len(fr) == 6 and all(f.shape == (fc.H, fc.W, 3) and f.dtype == np.uint8
                                   for f in fr), "%s: not 3 frames a photo of 640x360"
              % make.__name__)
    # every kind of degradation in turn, at a strength in 0..0.7, at the
    # trunk's scale of a 360-high frame
    seen = []
    real = degrade.apply
    degrade.apply = lambda img, kind, st, rng, u=1.0: seen.append((kind, st, u)) or img
    try:
        fc.degraded_keep_frames([photo], np.random.default_rng(2), len(fc.DEGRADED))
    finally:
        degrade.apply = real
    check(sorted(k for k, _, _ in seen) == sorted(fc.DEGRADED)
          and all(0 <= st <= 0.7 and abs(u - 360 / 227) < 1e-9 for _, st, u in seen),
          "degraded_keep_frames: not each kind once at 0..0.7: %s" % seen)


def main():
    test_framing_training()
    test_qrc()
    test_held_out_sets_apart()
    test_shallow_focus()
    test_export_prefers_average()
    test_raw_pictures()
    test_jigzo_and_crops()
    test_soup()
    test_kind_weights()
    test_confidence()
    test_ensemble()
    print("%d failed" % len(failures) if failures else "training code checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
