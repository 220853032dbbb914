#!/usr/bin/python3
"""AVA mode: trains ILGNet (the authors' exact topology) or ilgnet-compact
on the AVA aesthetic data set, for users who have it (it is not
redistributable, so the project ships no AVA-trained weights).

  ava.py split AVA.txt OUTDIR [--seed S]
      Writes OUTDIR/{ava1,ava2}_{train,test}.txt ("image_id label" lines).
      AVA1: all images, label high = mean score > 5; 20,000 random images
            are the test set, the rest (235,529 of the full list) train.
      AVA2: the 10 % best and 10 % worst images by mean score; labels
            high/low; split in two equal halves (train / test).
  ava.py train SPLITDIR IMAGEDIR WORKDIR [--split ava1|ava2]
         [--arch ilgnet|ilgnet-compact] [--epochs N] [--minutes M]
      Trains from scratch (BatchNorm, folded at export) with the authors'
      preprocessing: BGR, squashed to 227x227, AVA1 mean subtracted.
      Resumable: state in WORKDIR/ckpt/ava-<split>-<arch>.pt.
  ava.py test SPLITDIR IMAGEDIR CHECKPOINT [--split ...]
      Accuracy on the test split.

A checkpoint is exported like the default model:
  export.py WORKDIR/ckpt/ava-ava1-ilgnet.pt -o my-ava1.ilgnet --dtype f16

AVA.txt lines: index, image id, counts of votes for scores 1..10, two
semantic tag ids, challenge id.  Images are IMAGEDIR/<id>.jpg.
"""

import argparse
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

import net  # noqa: E402

AVA1_TEST_SIZE = 20000


def read_ava(path):
    """(image ids, mean scores) of AVA.txt."""
    ids, means = [], []
    with open(path) as f:
        for line in f:
            v = line.split()
            if len(v) < 12:
                continue
            counts = np.array([int(c) for c in v[2:12]], np.float64)
            if counts.sum() <= 0:
                continue
            ids.append(v[1])
            means.append(float((counts * np.arange(1, 11)).sum() / counts.sum()))
    return ids, np.array(means)


def splits(ids, means, seed=0):
    """{name: [(id, label)]} for ava1_train, ava1_test, ava2_train, ava2_test."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    order = rng.permutation(n)
    n_test = min(AVA1_TEST_SIZE, n // 10 if n < 10 * AVA1_TEST_SIZE else AVA1_TEST_SIZE)
    label = (means > 5.0).astype(int)
    out = {"ava1_test": [(ids[i], label[i]) for i in order[:n_test]],
           "ava1_train": [(ids[i], label[i]) for i in order[n_test:]]}
    k = int(round(n * 0.1))
    by_score = np.argsort(means, kind="stable")
    sel = [(i, 0) for i in by_score[:k]] + [(i, 1) for i in by_score[n - k:]]
    sel = [sel[j] for j in rng.permutation(len(sel))]
    half = len(sel) // 2
    out["ava2_train"] = [(ids[i], l) for i, l in sel[:half]]
    out["ava2_test"] = [(ids[i], l) for i, l in sel[half:]]
    return out


def write_splits(ava_txt, outdir, seed):
    ids, means = read_ava(ava_txt)
    os.makedirs(outdir, exist_ok=True)
    for name, rows in splits(ids, means, seed).items():
        with open(os.path.join(outdir, name + ".txt"), "w") as f:
            f.writelines("%s %d\n" % r for r in rows)
        print("%s: %d images, %d high" % (name, len(rows), sum(l for _, l in rows)))


def read_split(splitdir, name):
    with open(os.path.join(splitdir, name + ".txt")) as f:
        return [(a, int(b)) for a, b in (l.split() for l in f if l.strip())]


class AvaImages(torch.utils.data.Dataset):
    """The authors' preprocessing; training adds a mirror image."""

    def __init__(self, rows, imagedir, train):
        self.rows, self.imagedir, self.train = rows, imagedir, train

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        image_id, label = self.rows[i]
        img = cv2.imread(os.path.join(self.imagedir, image_id + ".jpg"), cv2.IMREAD_COLOR)
        if img is None:  # AVA has a few broken files: train on a neutral input
            img = np.full((net.INPUT_SIZE, net.INPUT_SIZE, 3), 128, np.uint8)
        img = cv2.resize(img, (net.INPUT_SIZE, net.INPUT_SIZE), interpolation=cv2.INTER_AREA)
        if self.train and np.random.random() < 0.5:
            img = img[:, ::-1]
        x = img.astype(np.float32) - np.array(net.MEAN_BGR, np.float32)
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))), label


def loader(rows, imagedir, train, batch, workers):
    return torch.utils.data.DataLoader(AvaImages(rows, imagedir, train), batch_size=batch,
                                       shuffle=train, num_workers=workers, drop_last=train)


def accuracy(model, rows, imagedir, batch, workers):
    model.eval()
    right = n = 0
    with torch.no_grad():
        for x, y in loader(rows, imagedir, False, batch, workers):
            right += int((model(x).argmax(1) == y).sum())
            n += len(y)
    model.train()
    return right / max(1, n)


def train(a):
    torch.set_num_threads(a.threads)
    rows = read_split(a.splitdir, a.split + "_train")
    test_rows = read_split(a.splitdir, a.split + "_test")
    ckpt = os.path.join(a.workdir, "ckpt", "ava-%s-%s.pt" % (a.split, a.arch))
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)
    torch.manual_seed(a.seed)
    model = net.IlgnetNet(a.arch, bn=True, dropout=0.5)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=2e-4)
    steps_per_epoch = len(rows) // a.batch
    total = a.epochs * steps_per_epoch
    step = 0
    if os.path.exists(ckpt):
        st = torch.load(ckpt)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step = st["step"]
    t0 = t_ck = time.time()

    def save():
        tmp = ckpt + ".tmp"
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step,
                        arch=a.arch, split=a.split), tmp)
        os.replace(tmp, ckpt)

    model.train()
    done = False
    while step < total and not done:
        torch.manual_seed(a.seed + step)  # a resumed epoch gets a fresh order
        for x, y in loader(rows, a.imagedir, True, a.batch, a.workers):
            lr = a.lr * 0.5 * (1 + np.cos(np.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 50 == 0:
                print("step %d/%d loss %.4f lr %.5f" % (step, total, float(loss), lr), flush=True)
            if time.time() - t_ck > 600:
                save()
                t_ck = time.time()
            if step >= total or (a.minutes and time.time() - t0 > a.minutes * 60):
                done = True
                break
            if step % steps_per_epoch == 0:
                break
    save()
    if step >= total:
        print("test accuracy %.4f" % accuracy(model, test_rows, a.imagedir, a.batch, a.workers))


def test(a):
    torch.set_num_threads(a.threads)
    from export import load_checkpoint
    model, st = load_checkpoint(a.checkpoint)
    rows = read_split(a.splitdir, a.split + "_test")
    print("%s test accuracy %.4f (%d images)" % (
        a.split, accuracy(model, rows, a.imagedir, a.batch, a.workers), len(rows)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("split")
    p.add_argument("ava_txt")
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=0)
    for name in ("train", "test"):
        p = sub.add_parser(name)
        p.add_argument("splitdir")
        p.add_argument("imagedir")
        if name == "train":
            p.add_argument("workdir")
            p.add_argument("--arch", default="ilgnet", choices=net.ARCHITECTURES)
            p.add_argument("--epochs", type=int, default=10)
            p.add_argument("--lr", type=float, default=0.01)
            p.add_argument("--minutes", type=float, default=0)
            p.add_argument("--seed", type=int, default=0)
        else:
            p.add_argument("checkpoint")
        p.add_argument("--split", default="ava1", choices=("ava1", "ava2"))
        p.add_argument("--batch", type=int, default=32)
        p.add_argument("--workers", type=int, default=2)
        p.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.cmd == "split":
        write_splits(a.ava_txt, a.outdir, a.seed)
    elif a.cmd == "train":
        train(a)
    else:
        test(a)


if __name__ == "__main__":
    sys.exit(main())
