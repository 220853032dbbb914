"""The networks this project runs, as one description: ILGNet (the authors'
deploy network, Jin et al. 2016) and ilgnet-compact (the shipped default
model's), each a list of Caffe layers.

Everything else is derived from these lists: net.py builds the PyTorch
module that trains them, and this file prints their deploy prototxts,
models/ilgnet.prototxt and models/ilgnet-compact.prototxt:

    models/train/netdef.py ilgnet > models/ilgnet.prototxt
    models/train/netdef.py ilgnet-compact > models/ilgnet-compact.prototxt

It needs nothing beyond Python's standard library, so the prototxts can be
made and checked where PyTorch is not installed.
"""

import math
import sys

# Mean of the AVA1 training set, B, G, R (the authors' ILGNet-AVA1 preprocessing).
MEAN_BGR = (91.00, 99.46, 107.85)
INPUT_SIZE = 227
OUTPUT_BLOB = "loss1/loss"
HIGH_INDEX = 1

ARCHITECTURES = ("ilgnet-compact", "ilgnet")

# GoogLeNet inception modules up to 4a: 1x1, 3x3 reduce, 3x3, 5x5 reduce,
# 5x5, pool proj.
_INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
}


def _conv(name, bottom, num, k, stride=1, pad=0):
    return [dict(name=name, type="Convolution", bottom=[bottom], top=[name],
                 param=dict(num_output=num, kernel=k, stride=stride, pad=pad)),
            dict(name=name.rsplit("/", 1)[0] + "/relu_" + name.rsplit("/", 1)[1],
                 type="ReLU", bottom=[name], top=[name], param={})]


def _pool(name, bottom, pool, k, stride, pad=0, adaptive=None):
    p = dict(pool=pool, kernel=k, stride=stride, pad=pad)
    if adaptive:
        p["adaptive"] = adaptive
    return [dict(name=name, type="Pooling", bottom=[bottom], top=[name], param=p)]


def _lrn(name, bottom):
    return [dict(name=name, type="LRN", bottom=[bottom], top=[name],
                 param=dict(local_size=5, alpha=1e-4, beta=0.75))]


def _fc(name, bottom, num, relu=True, dropout=None):
    out = [dict(name=name, type="InnerProduct", bottom=[bottom], top=[name],
                param=dict(num_output=num))]
    if relu:
        out.append(dict(name=name + "_relu", type="ReLU", bottom=[name],
                        top=[name], param={}))
    if dropout:
        out.append(dict(name=dropout[0], type="Dropout", bottom=[name],
                        top=[name], param=dict(dropout_ratio=dropout[1])))
    return out


def _inception(tag, bottom):
    n1, n3r, n3, n5r, n5, npp = _INCEPTION[tag]
    p = "inception_%s/" % tag
    L = []
    L += _conv(p + "1x1", bottom, n1, 1)
    L += _conv(p + "3x3_reduce", bottom, n3r, 1)
    L += _conv(p + "3x3", p + "3x3_reduce", n3, 3, pad=1)
    L += _conv(p + "5x5_reduce", bottom, n5r, 1)
    L += _conv(p + "5x5", p + "5x5_reduce", n5, 5, pad=2)
    L += _pool(p + "pool", bottom, "ave", 3, 1, pad=1)
    L += _conv(p + "pool_proj", p + "pool", npp, 1)
    L.append(dict(name=p + "output", type="Concat",
                  bottom=[p + "1x1", p + "3x3", p + "5x5", p + "pool_proj"],
                  top=[p + "output"], param={}))
    return L


def layers(arch="ilgnet-compact", lrn=None, dropout=0.7):
    """The Caffe layers of @arch in execution order (without the Input).
    "ilgnet" is the authors' deploy.prototxt exactly (LRN included unless
    @lrn is False); "ilgnet-compact" drops LRN (BatchNorm does its job in
    training) and average-pools the 28x28 local maps to 7x7 before their
    fully connected layers."""
    assert arch in ARCHITECTURES
    if lrn is None:
        lrn = arch == "ilgnet"
    L = []
    L += _conv("conv1/7x7_s2", "data", 64, 7, stride=2, pad=3)
    L[-1]["name"] = "conv1/relu_7x7"
    L += _pool("pool1/3x3_s2", "conv1/7x7_s2", "max", 3, 2)
    x = "pool1/3x3_s2"
    if lrn:
        L += _lrn("pool1/norm1", x)
        x = "pool1/norm1"
    L += _conv("conv2/3x3_reduce", x, 64, 1)
    L += _conv("conv2/3x3", "conv2/3x3_reduce", 192, 3, pad=1)
    x = "conv2/3x3"
    if lrn:
        L += _lrn("conv2/norm2", x)
        x = "conv2/norm2"
    L += _pool("pool2/3x3_s2", x, "max", 3, 2)
    L += _inception("3a", "pool2/3x3_s2")
    if arch == "ilgnet":
        L += _fc("temp1", "inception_3a/output", 256, dropout=("temp1_drop", dropout))
    else:
        L += _pool("temp1/pool", "inception_3a/output", "ave", 4, 4, adaptive=7)
        L += _fc("temp1", "temp1/pool", 256, dropout=("temp1_drop", dropout))
    L += _inception("3b", "inception_3a/output")
    if arch == "ilgnet":
        L += _fc("temp2", "inception_3b/output", 256, dropout=("temp2_drop", dropout))
    else:
        L += _pool("temp2/pool", "inception_3b/output", "ave", 4, 4, adaptive=7)
        L += _fc("temp2", "temp2/pool", 256, dropout=("temp2_drop", dropout))
    L += _pool("pool3/3x3_s2", "inception_3b/output", "max", 3, 2)
    L += _inception("4a", "pool3/3x3_s2")
    L += _pool("loss1/ave_pool", "inception_4a/output", "ave", 5, 3, adaptive=4)
    L += _conv("loss1/conv", "loss1/ave_pool", 128, 1)
    L[-1]["name"] = "loss1/relu_conv"
    L += _fc("temp3", "loss1/conv", 512, dropout=("temp3_drop", dropout))
    L.append(dict(name="temp", type="Concat", bottom=["temp1", "temp2", "temp3"],
                  top=["temp"], param={}))
    L += _fc("temp_cjy", "temp", 1024, dropout=("temp3_cjy_drop", dropout))
    L += _fc("loss1/classifier_cjy", "temp_cjy", 2, relu=False)
    L.append(dict(name="loss1/loss", type="Softmax",
                  bottom=["loss1/classifier_cjy"], top=["loss1/loss"], param={}))
    return L


def caffe_pool_size(n, k, s, p):
    out = int(math.ceil((n + 2 * p - k) / s)) + 1
    if p > 0 and (out - 1) * s >= n + p:
        out -= 1
    return out


def prototxt(arch="ilgnet-compact", lrn=None, input_size=INPUT_SIZE):
    """The deploy prototxt (new-style layer {} format) of @arch."""
    out = ['name: "%s"' % arch,
           'layer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
           '  input_param { shape: { dim: 1 dim: 3 dim: %d dim: %d } }\n}'
           % (input_size, input_size)]
    for l in layers(arch, lrn=lrn):
        s = ['layer {', '  name: "%s"' % l["name"], '  type: "%s"' % l["type"]]
        s += ['  bottom: "%s"' % b for b in l["bottom"]]
        s += ['  top: "%s"' % t for t in l["top"]]
        p, t = l["param"], l["type"]
        if t == "Convolution":
            s.append("  convolution_param {\n    num_output: %d" % p["num_output"])
            if p["pad"]:
                s.append("    pad: %d" % p["pad"])
            s.append("    kernel_size: %d" % p["kernel"])
            if p["stride"] != 1:
                s.append("    stride: %d" % p["stride"])
            s.append("  }")
        elif t == "Pooling":
            s.append("  pooling_param {\n    pool: %s\n    kernel_size: %d\n"
                     "    stride: %d" % (p["pool"].upper(), p["kernel"], p["stride"]))
            if p["pad"]:
                s.append("    pad: %d" % p["pad"])
            s.append("  }")
        elif t == "LRN":
            s.append("  lrn_param {\n    local_size: %d\n    alpha: %g\n"
                     "    beta: %g\n  }" % (p["local_size"], p["alpha"], p["beta"]))
        elif t == "InnerProduct":
            s.append("  inner_product_param {\n    num_output: %d\n  }" % p["num_output"])
        elif t == "Dropout":
            s.append("  dropout_param {\n    dropout_ratio: %g\n  }" % p["dropout_ratio"])
        s.append("}")
        out.append("\n".join(s))
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 2 or argv[1] not in ARCHITECTURES:
        sys.exit("usage: netdef.py {%s} > NAME.prototxt" % "|".join(ARCHITECTURES))
    sys.stdout.write(prototxt(argv[1]))


if __name__ == "__main__":
    main(sys.argv)
