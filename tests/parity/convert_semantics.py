#!/usr/bin/python3
"""Caffe semantics through ilgnet-convert, on small nets, against OpenCV
DNN (every blob) and numpy:

  * a V2 net using every layer type the format has, with kernel_h/kernel_w,
    pad_h/pad_w, repeated kernel_size, group + dilation, ceil pooling with
    padding, global pooling, LRN within a channel, leaky ReLU, BatchNorm
    with a moving-average factor, Scale with bias, PReLU, Eltwise SUM with
    coeff / PROD / MAX, Concat, Flatten, transposed InnerProduct, a
    non-in-place Dropout, bias_term false;
  * the same with --strip-dropout; unpacked-float and double_data
    caffemodels (same tensors as packed);
  * a V1 prototxt (upper-case types, input_dim) with a V1 caffemodel;
  * header fields: means from --mean-bgr, --rgb, mean.binaryproto and .npy
    (float32, float64, uint8), scale, names, output blob, high index;
  * f16 rounding of awkward values (ties, subnormals, near the f16 max) by
    both the F16C and the portable path, against numpy's float16;
  * BatchNorm with factor 0 stores zeros;
  * TanH (the layer added as src/layer-tanh.c alone) in place and not, V2
    and V1, against numpy's tanh and OpenCV.
"""

import argparse
import os
import shutil
import tempfile

import numpy as np

import parity_common as pc
from ilgnet_tools import caffe_pb

ALL_TYPES = """
name: "semantics"
layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 21 dim: 18 } } }
layer { name: "conv_a" type: "Convolution" bottom: "data" top: "conv_a"
  convolution_param { num_output: 8 kernel_h: 3 kernel_w: 5 pad_h: 1
    pad_w: 2 stride_h: 2 stride_w: 1 bias_term: false } }
layer { name: "bn_a" type: "BatchNorm" bottom: "conv_a" top: "conv_a"
  batch_norm_param { eps: 0.001 } }
layer { name: "scale_a" type: "Scale" bottom: "conv_a" top: "conv_a"
  scale_param { bias_term: true } }
layer { name: "prelu_a" type: "PReLU" bottom: "conv_a" top: "conv_a" }
layer { name: "pool_a" type: "Pooling" bottom: "conv_a" top: "pool_a"
  pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "conv_b" type: "Convolution" bottom: "pool_a" top: "conv_b"
  convolution_param { num_output: 6 kernel_size: 3 kernel_size: 1 pad: 2
    pad: 0 group: 2 dilation: 2 } }
layer { name: "relu_b" type: "ReLU" bottom: "conv_b" top: "conv_b"
  relu_param { negative_slope: 0.1 } }
layer { name: "conv_c" type: "Convolution" bottom: "pool_a" top: "conv_c"
  convolution_param { num_output: 6 kernel_size: 1 } }
layer { name: "sum" type: "Eltwise" bottom: "conv_b" bottom: "conv_c"
  top: "sum" eltwise_param { operation: SUM coeff: 0.5 coeff: -1.5 } }
layer { name: "prod" type: "Eltwise" bottom: "conv_b" bottom: "conv_c"
  top: "prod" eltwise_param { operation: PROD } }
layer { name: "max" type: "Eltwise" bottom: "sum" bottom: "prod"
  top: "max" eltwise_param { operation: MAX } }
layer { name: "norm" type: "LRN" bottom: "max" top: "norm"
  lrn_param { local_size: 3 alpha: 0.01 beta: 0.75 k: 2
    norm_region: WITHIN_CHANNEL } }
layer { name: "norm2" type: "LRN" bottom: "sum" top: "norm2"
  lrn_param { local_size: 3 alpha: 0.02 beta: 0.5 } }
layer { name: "cat" type: "Concat" bottom: "norm" bottom: "norm2"
  bottom: "conv_c" top: "cat" }
layer { name: "pool_max" type: "Pooling" bottom: "cat" top: "pool_max"
  pooling_param { pool: MAX kernel_h: 3 kernel_w: 2 stride_h: 2
    stride_w: 2 pad_h: 1 pad_w: 0 } }
layer { name: "gpool" type: "Pooling" bottom: "cat" top: "gpool"
  pooling_param { pool: AVE global_pooling: true } }
layer { name: "flat" type: "Flatten" bottom: "pool_max" top: "flat" }
layer { name: "fc1" type: "InnerProduct" bottom: "flat" top: "fc1"
  inner_product_param { num_output: 7 transpose: true } }
layer { name: "drop" type: "Dropout" bottom: "fc1" top: "fc1_drop"
  dropout_param { dropout_ratio: 0.5 } }
layer { name: "fc2" type: "InnerProduct" bottom: "gpool" top: "fc2"
  inner_product_param { num_output: 5 } }
layer { name: "cat2" type: "Concat" bottom: "fc1_drop" bottom: "fc2"
  top: "cat2" }
layer { name: "fc3" type: "InnerProduct" bottom: "cat2" top: "fc3"
  inner_product_param { num_output: 2 } }
layer { name: "prob" type: "Softmax" bottom: "fc3" top: "prob" }
"""

V1_NET = """
name: "v1net"   # old style
input: "data"
input_dim: 1 input_dim: 3 input_dim: 17 input_dim: 17
layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
  blobs_lr: 1 blobs_lr: 2
  convolution_param { num_output: 6 kernel_size: 5 stride: 2 pad: 2 } }
layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layers { name: "norm1" type: LRN bottom: "pool1" top: "norm1"
  lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
layers { name: "fc" type: INNER_PRODUCT bottom: "norm1" top: "fc"
  inner_product_param { num_output: 2 } }
layers { name: "drop" type: DROPOUT bottom: "fc" top: "fc" }
layers { name: "prob" type: SOFTMAX bottom: "fc" top: "prob" }
layers { name: "loss" type: SOFTMAX_LOSS bottom: "fc" top: "loss"
  include { phase: TRAIN } }
"""


def weights_for(text, seed):
    layers, blobs = caffe_pb.random_weights(text, seed)
    rng = np.random.default_rng(seed + 7)
    for l in layers:
        if l.type == "BatchNorm":
            # Caffe stores sums; the third blob is what to divide them by.
            factor = np.float32(2.5)
            mean, var, _ = blobs[l.name]
            blobs[l.name] = [mean * factor, var * factor,
                             np.array([factor], np.float32)]
        if l.type == "PReLU":
            blobs[l.name] = [rng.uniform(0.05, 0.5, blobs[l.name][0].shape)
                             .astype(np.float32)]
    return layers, blobs


class Ctx:
    def __init__(self, a, tmp):
        self.a, self.tmp, self.c = a, tmp, pc.Checker()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def convert(self, proto, model, out, *opts, env=None, expect_ok=True):
        return pc.run([self.a.convert_tool, proto, model, "-o", out, "-q"]
                      + list(opts), env=env, expect_ok=expect_ok)


def compare_all_blobs(ctx, text, proto, caffemodel, model, x, tag):
    """proto/caffemodel: what OpenCV runs; model: what libilgnet runs."""
    blobs, last = pc.blob_order(text)
    ref = pc.opencv_blobs(proto, caffemodel, x, blobs, last)
    for batch in (2, 1):
        got = pc.ilgnet_dump(ctx.a.dump_tool, model, x, batch, blobs,
                             ctx.tmp, "%s%d" % (tag, batch))
        bad = ["%s (%.1e)" % (b, pc.rel_err(got[b], ref[b])) for b in blobs
               if got[b].shape != ref[b].shape
               or pc.rel_err(got[b], ref[b]) > 1e-4]
        ctx.c.check(not bad, "%s batch %d: %d blobs match OpenCV within 1e-4"
                    "%s" % (tag, batch, len(blobs),
                            ("; off: " + ", ".join(bad)) if bad else ""))
    return ref


def test_all_types(ctx):
    proto = ctx.path("all.prototxt")
    open(proto, "w").write(ALL_TYPES)
    layers, blobs = weights_for(ALL_TYPES, 3)
    cm = ctx.path("all.caffemodel")
    caffe_pb.write_caffemodel(cm, layers, blobs)
    model = ctx.path("all.ilgnet")
    ctx.convert(proto, cm, model)
    # OpenCV has no transposed InnerProduct: it runs the equivalent net with
    # the weight stored the usual way.
    cv_text = ALL_TYPES.replace("num_output: 7 transpose: true",
                                "num_output: 7")
    cv_proto = ctx.path("all-cv.prototxt")
    open(cv_proto, "w").write(cv_text)
    cv_blobs = dict(blobs)
    cv_blobs["fc1"] = [np.ascontiguousarray(blobs["fc1"][0].T),
                       blobs["fc1"][1]]
    cv_cm = ctx.path("all-cv.caffemodel")
    caffe_pb.write_caffemodel(cv_cm, layers, cv_blobs)
    x = caffe_pb.sample_inputs((3, 21, 18), 3, 5) / np.float32(40)
    ref = compare_all_blobs(ctx, cv_text, cv_proto, cv_cm, model, x,
                            "all-types")

    h, d = pc.read_ilgnet(model)
    fc1 = pc.ilgnet_tensor(h, d, "fc1.weight")[0]
    ctx.c.check(np.array_equal(fc1, blobs["fc1"][0].T),
                "transposed InnerProduct weight stored as [O, K]")
    bn_mean = pc.ilgnet_tensor(h, d, "bn_a.mean")[0]
    ctx.c.check(np.allclose(bn_mean, blobs["bn_a"][0] / np.float32(2.5),
                            rtol=1e-6, atol=0),
                "BatchNorm mean divided by the moving-average factor")

    # Dropout left out: same outputs, no Dropout layer, consumers rewired.
    stripped = ctx.path("all-stripped.ilgnet")
    ctx.convert(proto, cm, stripped, "--strip-dropout")
    hs, _ = pc.read_ilgnet(stripped)
    types = [l["type"] for l in hs["layers"]]
    cat2 = [l for l in hs["layers"] if l["name"] == "cat2"][0]
    ctx.c.check("Dropout" not in types and cat2["bottom"][0] == "fc1",
                "--strip-dropout removes Dropout and rewires its consumer")
    got = pc.ilgnet_dump(ctx.a.dump_tool, stripped, x, 3, ["prob"], ctx.tmp,
                         "stripped")
    ctx.c.check(pc.rel_err(got["prob"], ref["prob"]) <= 1e-4,
                "--strip-dropout model matches OpenCV")

    # Other encodings of the same weights give the same tensors.
    for kind, kw in (("unpacked", {"unpacked": True}),
                     ("double", {"double": True})):
        cm2 = ctx.path("all-%s.caffemodel" % kind)
        caffe_pb.write_caffemodel(cm2, layers, blobs, **kw)
        m2 = ctx.path("all-%s.ilgnet" % kind)
        ctx.convert(proto, cm2, m2, "--name", "x")
        h2, d2 = pc.read_ilgnet(m2)
        ctx.c.check(h2["tensors"] == h["tensors"] and np.array_equal(d2, d),
                    "%s caffemodel converts to the same tensors" % kind)


def test_v1(ctx):
    proto = ctx.path("v1.prototxt")
    open(proto, "w").write(V1_NET)
    layers, blobs = caffe_pb.random_weights(V1_NET, 11)
    cm = ctx.path("v1.caffemodel")
    caffe_pb.write_caffemodel(cm, layers, blobs, v1=True)
    model = ctx.path("v1.ilgnet")
    ctx.convert(proto, cm, model)
    x = caffe_pb.sample_inputs((3, 17, 17), 3, 9)
    h, _ = pc.read_ilgnet(model)
    ctx.c.check([l["type"] for l in h["layers"]] ==
                ["Input", "Convolution", "ReLU", "Pooling", "LRN",
                 "InnerProduct", "Dropout", "Softmax"],
                "V1 prototxt: types mapped, TRAIN-only layer dropped")
    # OpenCV ignores include { phase }: give it the net without the loss.
    cv_text = V1_NET[:V1_NET.index('layers { name: "loss"')]
    cv_proto = ctx.path("v1-cv.prototxt")
    open(cv_proto, "w").write(cv_text)
    compare_all_blobs(ctx, cv_text, cv_proto, cm, model, x, "v1")


def test_header(ctx):
    proto = ctx.path("v1.prototxt")
    cm = ctx.path("v1.caffemodel")
    out = ctx.path("hdr.ilgnet")

    ctx.convert(proto, cm, out)
    h, _ = pc.read_ilgnet(out)
    inp = h["input"]
    ctx.c.check(inp["channel_order"] == "bgr" and np.allclose(
        inp["mean"], [91.00, 99.46, 107.85]) and inp["scale"] == 1
        and inp["resize"] == "squash" and inp["shape"] == [3, 17, 17]
        and inp["blob"] == "data" and h["output"] == {"blob": "prob",
                                                      "high_index": 1}
        and h["name"] == "v1" and h["architecture"] == "ilgnet",
        "defaults: bgr, AVA1 mean, scale 1, squash, last top, index 1")

    ctx.convert(proto, cm, out, "--rgb", "--mean-bgr", "10,20,30.5",
                "--scale", "0.017", "--name", "N", "--description", "D",
                "--provenance", "P", "--architecture", "A", "--resize",
                "center", "--output-blob", "fc", "--high-index", "0")
    h, _ = pc.read_ilgnet(out)
    inp = h["input"]
    ctx.c.check(inp["channel_order"] == "rgb" and inp["mean"] == [30.5, 20,
                                                                  10]
                and abs(inp["scale"] - 0.017) < 1e-12
                and inp["resize"] == "center"
                and (h["name"], h["description"], h["provenance"],
                     h["architecture"]) == ("N", "D", "P", "A")
                and h["output"] == {"blob": "fc", "high_index": 0},
                "options: --rgb reorders the B,G,R mean; fields recorded")

    rng = np.random.default_rng(4)
    img = rng.uniform(0, 255, (3, 9, 7)).astype(np.float32)
    want = img.reshape(3, -1).astype(np.float64).mean(1)
    caffe_pb.write_blobproto(ctx.path("mean.binaryproto"), img[None])
    caffe_pb.write_blobproto(ctx.path("mean2.binaryproto"), img, v1=False)
    np.save(ctx.path("mean.npy"), img)
    np.save(ctx.path("mean64.npy"), img.astype(np.float64))
    u8 = np.round(img).astype(np.uint8)
    np.save(ctx.path("mean8.npy"), u8)
    for f, w in (("mean.binaryproto", want), ("mean2.binaryproto", want),
                 ("mean.npy", want), ("mean64.npy", want),
                 ("mean8.npy", u8.reshape(3, -1).mean(1))):
        ctx.convert(proto, cm, out, "--mean", ctx.path(f))
        h, _ = pc.read_ilgnet(out)
        ctx.c.check(np.allclose(h["input"]["mean"], w, rtol=1e-5, atol=0),
                    "--mean %s: per-channel average of the mean image" % f)


def test_f16_rounding(ctx):
    net = """
    input: "data" input_shape { dim: 1 dim: 3 dim: 4 dim: 4 }
    layer { name: "c" type: "Convolution" bottom: "data" top: "c"
      convolution_param { num_output: 64 kernel_size: 4 } }
    """
    proto = ctx.path("f16.prototxt")
    open(proto, "w").write(net)
    layers, blobs = caffe_pb.random_weights(net, 2)
    w = blobs["c"][0].reshape(-1)
    rng = np.random.default_rng(8)
    h = rng.integers(0, 0x7bfe, w.size // 2, dtype=np.uint16)
    halves = h.view(np.float16).astype(np.float32)
    nxt = (h + 1).view(np.float16).astype(np.float32)
    n = len(halves)
    special = np.array([0.0, -0.0, 65504.0, -65504.0, 65519.0, 6e-8, 3e-8,
                        2.98e-8, 5.96e-8, 1e-7, 6.1e-5, 6.103e-5, 1e-30],
                       np.float32)
    # exact halves, exact ties between neighbours, values near ties
    w[:n] = np.where(rng.random(n) < 0.5, halves, (halves + nxt) / 2)
    w[n:n + len(special)] = special
    w[n + len(special):] = rng.standard_normal(
        w.size - n - len(special)).astype(np.float32) * np.float32(1e-5)
    cm = ctx.path("f16.caffemodel")
    caffe_pb.write_caffemodel(cm, layers, blobs)
    want = blobs["c"][0].astype(np.float16).view(np.uint16)
    for env, what in ((None, "F16C"), ({"ILGNET_NO_F16C": "1"}, "portable")):
        out = ctx.path("f16-%s.ilgnet" % what)
        ctx.convert(proto, cm, out, "--dtype", "f16", env=env)
        hd, d = pc.read_ilgnet(out)
        got = pc.ilgnet_tensor(hd, d, "c.weight")[0].view(np.uint16)
        ctx.c.check(np.array_equal(got, want), "f16 %s path rounds like "
                    "numpy (%d of %d differ)" % (
                        what, int((got != want).sum()), want.size))


def test_bn_zero_factor(ctx):
    net = """
    input: "data" input_dim: 1 input_dim: 3 input_dim: 5 input_dim: 5
    layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" }
    layer { name: "fc" type: "InnerProduct" bottom: "bn" top: "fc"
      inner_product_param { num_output: 2 } }
    """
    proto = ctx.path("bn0.prototxt")
    open(proto, "w").write(net)
    layers, blobs = caffe_pb.random_weights(net, 5)
    blobs["bn"][2] = np.zeros(1, np.float32)
    cm = ctx.path("bn0.caffemodel")
    caffe_pb.write_caffemodel(cm, layers, blobs)
    out = ctx.path("bn0.ilgnet")
    ctx.convert(proto, cm, out)
    h, d = pc.read_ilgnet(out)
    ctx.c.check(not pc.ilgnet_tensor(h, d, "bn.mean")[0].any()
                and not pc.ilgnet_tensor(h, d, "bn.variance")[0].any(),
                "BatchNorm factor 0 gives zero mean and variance")


SYNTAX_PLAIN = """
name: "syntax"
input: "data"
input_shape { dim: 1 dim: 3 dim: 9 dim: 9 }
layer { name: "c1" type: "Convolution" bottom: "data" top: "c1"
  convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "c2" type: "Convolution" bottom: "data" top: "c2"
  convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "cat" type: "Concat" bottom: "c1" bottom: "c2" top: "cat" }
layer { name: "fc" type: "InnerProduct" bottom: "cat" top: "fc"
  inner_product_param { num_output: 2 } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
"""

# The same net in other legal spellings of the text format: comments
# (also after values and with '#' inside strings), "field: { }", "< >",
# list syntax, ';' and ',' separators, single quotes, adjacent strings,
# escapes, a byte order mark, hex and float suffix forms.
SYNTAX_ODD = """\ufeff# a comment line
name: 'syn' "tax"   # adjacent strings concatenate
input: "data"; input_shape: < dim: 1, dim: 0x3 dim: [9, 9] >
layer: { name: "c1" type: "Convolution" bottom: 'data' top: "c1",
  convolution_param < num_output: 4 kernel_size: 3 pad: 1 > }
layer {name:"c2"type:"Convolution"bottom:"data"top:"c2"
  convolution_param{num_output:4 kernel_size:1}}
layer { name: "c\x61t" type: "Concat" bottom: ["c1", "c2"] top: "cat" }
layer { name: "fc" type: "InnerProduct" bottom: "cat" top: "fc"  # "x"
  inner_product_param { num_output: 2 bias_term: true } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob"
  softmax_param { axis: -1 } }
"""


def test_syntax_variants(ctx):
    plain, odd = ctx.path("plain.prototxt"), ctx.path("odd.prototxt")
    open(plain, "w").write(SYNTAX_PLAIN)
    open(odd, "w", encoding="utf-8").write(SYNTAX_ODD)
    layers, blobs = caffe_pb.random_weights(SYNTAX_PLAIN, 6)
    cm = ctx.path("syntax.caffemodel")
    caffe_pb.write_caffemodel(cm, layers, blobs)
    outs = []
    for p in (plain, odd):
        out = p.replace(".prototxt", ".ilgnet")
        ctx.convert(p, cm, out, "--name", "n", "--provenance", "p",
                    "--description", "d")
        outs.append(pc.read_ilgnet(out))
    (h1, d1), (h2, d2) = outs
    ctx.c.check(h1 == h2 and np.array_equal(d1, d2),
                "other spellings of the text format give the same model")


def test_int8_zero_channels(ctx):
    net = """
    input: "data" input_dim: 1 input_dim: 3 input_dim: 6 input_dim: 6
    layer { name: "c" type: "Convolution" bottom: "data" top: "c"
      convolution_param { num_output: 4 kernel_size: 3 } }
    layer { name: "fc" type: "InnerProduct" bottom: "c" top: "fc"
      inner_product_param { num_output: 3 } }
    layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
    """
    proto = ctx.path("z.prototxt")
    open(proto, "w").write(net)
    layers, blobs = caffe_pb.random_weights(net, 1)
    blobs["c"][0][1] = 0
    blobs["fc"][0][2] = 0
    cm = ctx.path("z.caffemodel")
    caffe_pb.write_caffemodel(cm, layers, blobs)
    out = ctx.path("z.ilgnet")
    ctx.convert(proto, cm, out, "--dtype", "int8")
    h, d = pc.read_ilgnet(out)
    ctx.c.check(pc.ilgnet_tensor(h, d, "c.weight")[1][1] == 0
                and pc.ilgnet_tensor(h, d, "fc.weight")[1][2] == 0,
                "int8: an all-zero output channel gets scale 0")
    x = caffe_pb.sample_inputs((3, 6, 6), 2, 1) / np.float32(30)
    blobs_l = ["c", "fc", "prob"]
    ref = pc.opencv_blobs(proto, cm, x, blobs_l, {b: b for b in blobs_l})
    got = pc.ilgnet_dump(ctx.a.dump_tool, out, x, 2, blobs_l, ctx.tmp, "z")
    errs = [pc.rel_err(got[b], ref[b]) for b in blobs_l]
    ctx.c.check(max(errs) <= 2e-2, "int8 model with zero channels within "
                "2e-2 of OpenCV fp32 (%s)" % ", ".join("%.1e" % e
                                                      for e in errs))


TANH_NET = """
name: "tanh"
input: "data" input_dim: 1 input_dim: 3 input_dim: 7 input_dim: 6
layer { name: "c" type: "Convolution" bottom: "data" top: "c"
  convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "th" type: "TanH" bottom: "c" top: "c" }
layer { name: "fc" type: "InnerProduct" bottom: "c" top: "fc"
  inner_product_param { num_output: 5 } }
layer { name: "out" type: "TanH" bottom: "fc" top: "out" }
"""


def test_tanh(ctx):
    for v1 in (False, True):
        tag = "tanh-v1" if v1 else "tanh"
        text = TANH_NET
        if v1:
            for a, b in (("layer {", "layers {"), ('"TanH"', "TANH"),
                         ('"Convolution"', "CONVOLUTION"),
                         ('"InnerProduct"', "INNER_PRODUCT")):
                text = text.replace(a, b)
        proto, cm = ctx.path(tag + ".prototxt"), ctx.path(tag + ".caffemodel")
        open(proto, "w").write(text)
        layers, blobs = caffe_pb.random_weights(text, 4)
        caffe_pb.write_caffemodel(cm, layers, blobs, v1=v1)
        model = ctx.path(tag + ".ilgnet")
        ctx.convert(proto, cm, model)
        h, _ = pc.read_ilgnet(model)
        ctx.c.check([l["type"] for l in h["layers"]] ==
                    ["Input", "Convolution", "TanH", "InnerProduct", "TanH"],
                    "%s: TanH layers converted" % tag)
        x = caffe_pb.sample_inputs((3, 7, 6), 2, 8) / np.float32(20)
        compare_all_blobs(ctx, text, proto, cm, model, x, tag)
        got = pc.ilgnet_dump(ctx.a.dump_tool, model, x, 2, ["fc", "out"],
                             ctx.tmp, tag)
        err = np.abs(got["out"] - np.tanh(got["fc"].astype(np.float64)))
        ctx.c.check(err.max() <= 1e-6 and np.abs(got["out"]).max() > 0.1,
                    "%s: output is numpy's tanh of its input (max error "
                    "%.1e)" % (tag, err.max()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert-tool", required=True)
    ap.add_argument("--dump-tool", required=True)
    a = ap.parse_args()
    try:
        import cv2  # noqa: F401
    except ImportError:
        pc.skip("python3-opencv is not installed")
    tmp = tempfile.mkdtemp(prefix="ilgnet-semantics-")
    ctx = Ctx(a, tmp)
    try:
        test_all_types(ctx)
        test_v1(ctx)
        test_header(ctx)
        test_f16_rounding(ctx)
        test_bn_zero_factor(ctx)
        test_int8_zero_channels(ctx)
        test_syntax_variants(ctx)
        test_tanh(ctx)
    finally:
        shutil.rmtree(tmp)
    ctx.c.exit()


if __name__ == "__main__":
    main()
