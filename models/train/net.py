"""A PyTorch module that runs a layer list of netdef.py (ILGNet or
ilgnet-compact).

The layer list is the single description of the network: this module is
built from it, the deploy prototxts are printed from it and the export
writes one caffemodel blob set per layer of it, so the trained and the
exported network cannot drift apart.

Training-only parts that are not in the exported graph:
  - BatchNorm after every convolution (folded into the convolution's weight
    and bias at export: the exported net is plain Convolution + ReLU);
  - an input scale of 1/64 (folded into conv1);
  - at input sizes other than 227, the head poolings become adaptive
    average poolings with the 227 output sizes (7x7 local maps, 4x4 global),
    so the fully connected heads keep their shapes.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from netdef import (ARCHITECTURES, HIGH_INDEX, INPUT_SIZE, MEAN_BGR,  # noqa: F401
                    OUTPUT_BLOB, caffe_pool_size, layers, prototxt)

# Training-time input scale, folded into conv1 at export.
INPUT_SCALE = 1.0 / 64.0


class IlgnetNet(nn.Module):
    """Runs a layers() list.  forward() takes N x 3 x H x W BGR planes with
    the mean already subtracted (0..255 scale) and returns the two logits
    (the blob before the Softmax)."""

    def __init__(self, arch="ilgnet-compact", bn=True, lrn=None, dropout=0.5,
                 input_size=INPUT_SIZE):
        super().__init__()
        self.arch = arch
        self.bn = bn
        self.layer_list = layers(arch, lrn=lrn, dropout=dropout)
        self.convs = nn.ModuleDict()
        self.bns = nn.ModuleDict()
        self.fcs = nn.ModuleDict()
        # Infer channel counts / FC input sizes at 227 (the export size).
        ch = {"data": (3, input_size, input_size)}
        for l in self.layer_list:
            t, p, b = l["type"], l["param"], l["bottom"]
            key = self.key(l["name"])
            if t == "Convolution":
                c, h, w = ch[b[0]]
                self.convs[key] = nn.Conv2d(c, p["num_output"], p["kernel"],
                                            p["stride"], p["pad"], bias=not bn)
                if bn:
                    self.bns[key] = nn.BatchNorm2d(p["num_output"])
                o = lambda n: (n + 2 * p["pad"] - p["kernel"]) // p["stride"] + 1
                ch[l["top"][0]] = (p["num_output"], o(h), o(w))
            elif t == "Pooling":
                c, h, w = ch[b[0]]
                ch[l["top"][0]] = (c,) + tuple(
                    caffe_pool_size(n, p["kernel"], p["stride"], p["pad"])
                    for n in (h, w))
            elif t == "InnerProduct":
                k = 1
                for d in ch[b[0]]:
                    k *= d
                self.fcs[key] = nn.Linear(k, p["num_output"])
                ch[l["top"][0]] = (p["num_output"], 1, 1)
            elif t == "Concat":
                c = sum(ch[x][0] for x in b)
                ch[l["top"][0]] = (c,) + ch[b[0]][1:]
            else:
                ch[l["top"][0]] = ch[b[0]]
        self.shapes = ch
        self.reset_parameters()

    @staticmethod
    def key(name):
        return name.replace("/", "__")

    def reset_parameters(self):
        for m in self.convs.values():
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        for m in self.fcs.values():
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x, until=None):
        blobs = {"data": x * INPUT_SCALE}
        for l in self.layer_list:
            t, p, name = l["type"], l["param"], l["name"]
            x = blobs[l["bottom"][0]]
            if t == "Convolution":
                key = self.key(name)
                y = self.convs[key](x)
                if self.bn:
                    y = self.bns[key](y)
            elif t == "ReLU":
                y = F.relu(x)
            elif t == "Pooling":
                target = p.get("adaptive")
                natural = caffe_pool_size(x.shape[2], p["kernel"], p["stride"], p["pad"])
                if target and (natural != target or x.shape[2] != x.shape[3]):
                    y = F.adaptive_avg_pool2d(x, target)
                elif p["pool"] == "max":
                    y = F.max_pool2d(x, p["kernel"], p["stride"], p["pad"], ceil_mode=True)
                else:
                    y = F.avg_pool2d(x, p["kernel"], p["stride"], p["pad"],
                                     ceil_mode=True, count_include_pad=True)
            elif t == "LRN":
                y = F.local_response_norm(x, p["local_size"], p["alpha"], p["beta"], 1.0)
            elif t == "InnerProduct":
                y = self.fcs[self.key(name)](x.flatten(1))
            elif t == "Dropout":
                y = F.dropout(x, p["dropout_ratio"], self.training)
            elif t == "Concat":
                y = torch.cat([blobs[b] for b in l["bottom"]], 1)
            elif t == "Softmax":
                if until is None:
                    return x
                y = F.softmax(x, 1)
            else:
                raise ValueError("unknown layer type " + t)
            blobs[l["top"][0]] = y
            if until == l["top"][0]:
                return y
        return blobs["loss1/loss"]

    def caffe_blobs(self):
        """Per Caffe layer name, the numpy blobs of the exported (BatchNorm
        folded, input scale folded) network: [weight, bias]."""
        out = {}
        for l in self.layer_list:
            key = self.key(l["name"])
            if l["type"] == "Convolution":
                conv = self.convs[key]
                w = conv.weight.detach().double()
                b = (conv.bias.detach().double() if conv.bias is not None
                     else torch.zeros(w.shape[0], dtype=torch.float64))
                if self.bn:
                    bn = self.bns[key]
                    g = bn.weight.detach().double() / torch.sqrt(
                        bn.running_var.double() + bn.eps)
                    w = w * g[:, None, None, None]
                    b = (b - bn.running_mean.double()) * g + bn.bias.detach().double()
                if l["bottom"][0] == "data":
                    w = w * INPUT_SCALE
                out[l["name"]] = [w.float().numpy(), b.float().numpy()]
            elif l["type"] == "InnerProduct":
                fc = self.fcs[key]
                out[l["name"]] = [fc.weight.detach().float().numpy(),
                                  fc.bias.detach().float().numpy()]
        return out
