"""Turns an exported .ilgnet model file back into a trainable net, so that
training can continue from a shipped model (models/default.ilgnet) when
its PyTorch checkpoint is gone, or a user can fine-tune it on data of
their own.

The file holds BatchNorm folded into each convolution (W' = W * g,
b' = (b - mean) * g + beta) and the 1/64 input scale folded into conv1.
The folding cannot be undone from W' alone, so BatchNorm is put back as a
layer that starts as the identity on real data: the convolution keeps W'
(without bias), and its BatchNorm gets the per-channel mean m and variance
v of W' * x measured on a calibration batch, with gamma = sqrt(v + eps)
and beta = m + b'.  In eval mode that is exactly the file's net; in train
mode, on batches like the calibration one, it is close to it, so the first
steps do not throw away what the file learnt.
"""

import json
import struct

import numpy as np
import torch

import net

MAGIC = b"ILGNETMF"


class ModelFileError(Exception):
    pass


def read_tensors(path):
    """(header, {tensor name: float32 array}) of a .ilgnet file, with f16
    widened and i8 multiplied back by its per-row scales."""
    with open(path, "rb") as f:
        pre = f.read(24)
        if len(pre) < 24 or pre[:8] != MAGIC:
            raise ModelFileError("%s: not an ilgnet model file" % path)
        _, _, hlen = struct.unpack("<IIQ", pre[8:])
        header = json.loads(f.read(hlen).decode("utf-8"))
        base = 24 + hlen
        f.seek(0, 2)
        size = f.tell()
        out = {}
        raw = {}
        for name, t in header["tensors"].items():
            if base + t["offset"] + t["nbytes"] > size:
                raise ModelFileError("%s: tensor %s runs past the end" % (path, name))
            f.seek(base + t["offset"])
            dt = {"f32": "<f4", "f16": "<f2", "i8": "i1"}[t["dtype"]]
            raw[name] = (np.frombuffer(f.read(t["nbytes"]), dt).reshape(t["shape"]), t)
    for name, (arr, t) in raw.items():
        v = arr.astype(np.float32)
        if t["dtype"] == "i8":
            s = raw[t["scales"]][0].astype(np.float32)
            v = v * s.reshape((-1,) + (1,) * (v.ndim - 1))
        out[name] = v
    return header, out


def _tensor(t, path, name):
    if name not in t:
        raise ModelFileError("%s: no tensor %s (not an export of this "
                             "architecture?)" % (path, name))
    return torch.from_numpy(t[name].copy())


def load(path, calib_x, arch=None):
    """An IlgnetNet (with BatchNorm) that computes what the file at @path
    computes; @calib_x is a batch of training inputs (N x 3 x H x W, mean
    subtracted) used to set the BatchNorm statistics."""
    header, t = read_tensors(path)
    arch = arch or header.get("architecture", "ilgnet-compact")
    model = net.IlgnetNet(arch, bn=True)
    conv_bias = {}
    with torch.no_grad():
        for l in model.layer_list:
            key = model.key(l["name"])
            if l["type"] == "Convolution":
                w = _tensor(t, path, l["name"] + ".weight")
                if l["bottom"][0] == "data":
                    w = w / net.INPUT_SCALE
                conv = model.convs[key]
                if w.shape != conv.weight.shape:
                    raise ModelFileError("%s: %s is %s, %s wants %s" % (
                        path, l["name"], tuple(w.shape), arch, tuple(conv.weight.shape)))
                conv.weight.copy_(w)
                conv_bias[key] = _tensor(t, path, l["name"] + ".bias")
                bn = model.bns[key]
                # identity + bias for now: eval mode then runs the file's net
                bn.weight.fill_(1.0)
                bn.bias.copy_(conv_bias[key])
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
            elif l["type"] == "InnerProduct":
                fc = model.fcs[key]
                w = _tensor(t, path, l["name"] + ".weight")
                if w.numel() != fc.weight.numel():
                    raise ModelFileError("%s: %s has %d weights, %s wants %d" % (
                        path, l["name"], w.numel(), arch, fc.weight.numel()))
                fc.weight.copy_(w.reshape(fc.weight.shape))
                fc.bias.copy_(_tensor(t, path, l["name"] + ".bias"))

    stats = {}

    def hook(key):
        def f(_, __, y):
            y = y.double()
            stats[key] = (y.mean((0, 2, 3)), y.var((0, 2, 3), unbiased=False))
        return f

    handles = [model.convs[k].register_forward_hook(hook(k)) for k in model.convs]
    model.eval()
    with torch.no_grad():
        model(calib_x)
    for h in handles:
        h.remove()
    with torch.no_grad():
        for key, (m, v) in stats.items():
            bn = model.bns[key]
            bn.running_mean.copy_(m.float())
            bn.running_var.copy_(v.float())
            bn.weight.copy_(torch.sqrt(v + bn.eps).float())
            bn.bias.copy_((m + conv_bias[key].double()).float())
    model.train()
    return model
