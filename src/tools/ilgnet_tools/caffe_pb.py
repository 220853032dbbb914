#!/usr/bin/python3
"""Minimal Caffe model I/O with numpy only (no protobuf, no caffe).

What it offers:

* ``parse_prototxt(text)`` -- a protobuf text-format parser; returns a
  :class:`Msg` (an ordered multimap of field name -> values).
* ``net_layers(net)`` -- the layers of a parsed NetParameter, V2 ``layer {}``
  or V1 ``layers {}`` (V1 enum types mapped to V2 names), as :class:`Layer`.
* ``infer_shapes(net)`` -- every blob's shape and every layer's parameter
  blob shapes (Caffe semantics: ceil pooling, kernel_h/kernel_w, ...).
* ``net_structure(text)`` -- what a deploy prototxt computes, as plain data
  (layers, their deploy parameters, blob shapes) for comparing two files.
* ``random_weights(prototxt_text, seed)`` -- He/Xavier-like random weights of
  the right shapes, so activations stay in range through a ReLU net.
* ``write_caffemodel(path, layers, blobs, v1=False)`` -- a binary caffemodel
  in the V2 (``layer`` = 100, BlobProto ``shape``) or V1 (``layers`` = 2,
  BlobProto num/channels/height/width) layout, streamed to disk.
* ``read_caffemodel(path)`` -- the reverse (both layouts, packed/unpacked,
  float and double data); arrays point into an mmap of the file.
* ``write_blobproto(path, array)`` -- a mean.binaryproto style BlobProto.

Command line::

    caffe_pb.py random PROTOTXT OUT.caffemodel [--seed S] [--v1]
        [--calibrate] [--no-bottoms]
    caffe_pb.py dump CAFFEMODEL          (layer names, types, blob shapes)

Field numbers are those of BVLC caffe.proto (NetParameter, LayerParameter,
V1LayerParameter, BlobProto, BlobShape).
"""

import math
import mmap
import sys

import numpy as np

# ---------------------------------------------------------------------------
# Caffe facts

# NetParameter
NET_NAME = 1
NET_LAYERS_V1 = 2
NET_INPUT = 3
NET_INPUT_DIM = 4
NET_INPUT_SHAPE = 8
NET_LAYER = 100
# LayerParameter (V2)
LAYER_NAME = 1
LAYER_TYPE = 2
LAYER_BOTTOM = 3
LAYER_TOP = 4
LAYER_BLOBS = 7
# V1LayerParameter
V1_BOTTOM = 2
V1_TOP = 3
V1_NAME = 4
V1_TYPE = 5
V1_BLOBS = 6
# BlobProto
BLOB_NUM = 1
BLOB_CHANNELS = 2
BLOB_HEIGHT = 3
BLOB_WIDTH = 4
BLOB_DATA = 5
BLOB_DIFF = 6
BLOB_SHAPE = 7
BLOB_DOUBLE_DATA = 8
BLOB_DOUBLE_DIFF = 9
# BlobShape
SHAPE_DIM = 1

# V1LayerParameter.LayerType enum values
V1_TYPES = {
    "NONE": 0, "ABSVAL": 35, "ACCURACY": 1, "ARGMAX": 30, "BNLL": 2,
    "CONCAT": 3, "CONTRASTIVE_LOSS": 37, "CONVOLUTION": 4, "DATA": 5,
    "DECONVOLUTION": 39, "DROPOUT": 6, "DUMMY_DATA": 32,
    "EUCLIDEAN_LOSS": 7, "ELTWISE": 25, "EXP": 38, "FLATTEN": 8,
    "HDF5_DATA": 9, "HDF5_OUTPUT": 10, "HINGE_LOSS": 28, "IM2COL": 11,
    "IMAGE_DATA": 12, "INFOGAIN_LOSS": 13, "INNER_PRODUCT": 14, "LRN": 15,
    "MEMORY_DATA": 29, "MULTINOMIAL_LOGISTIC_LOSS": 16, "MVN": 34,
    "POOLING": 17, "POWER": 26, "RELU": 18, "SIGMOID": 19,
    "SIGMOID_CROSS_ENTROPY_LOSS": 27, "SILENCE": 36, "SOFTMAX": 20,
    "SOFTMAX_LOSS": 21, "SPLIT": 22, "SLICE": 33, "TANH": 23,
    "WINDOW_DATA": 24, "THRESHOLD": 31,
}
V1_TYPE_NAMES = {v: k for k, v in V1_TYPES.items()}

# V1 enum name -> V2 type string (the ones whose spelling differs).
V1_TO_V2 = {
    "ABSVAL": "AbsVal", "ACCURACY": "Accuracy", "ARGMAX": "ArgMax",
    "BNLL": "BNLL", "CONCAT": "Concat", "CONVOLUTION": "Convolution",
    "DATA": "Data", "DECONVOLUTION": "Deconvolution", "DROPOUT": "Dropout",
    "ELTWISE": "Eltwise", "EXP": "Exp", "FLATTEN": "Flatten",
    "INNER_PRODUCT": "InnerProduct", "LRN": "LRN", "MVN": "MVN",
    "POOLING": "Pooling", "POWER": "Power", "RELU": "ReLU",
    "SIGMOID": "Sigmoid", "SOFTMAX": "Softmax",
    "SOFTMAX_LOSS": "SoftmaxWithLoss", "SPLIT": "Split", "SLICE": "Slice",
    "TANH": "TanH", "THRESHOLD": "Threshold", "SILENCE": "Silence",
    "IMAGE_DATA": "ImageData", "MEMORY_DATA": "MemoryData",
    "DUMMY_DATA": "DummyData", "HDF5_DATA": "HDF5Data",
    "WINDOW_DATA": "WindowData", "EUCLIDEAN_LOSS": "EuclideanLoss",
    "HINGE_LOSS": "HingeLoss", "INFOGAIN_LOSS": "InfogainLoss",
    "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss",
    "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss",
    "CONTRASTIVE_LOSS": "ContrastiveLoss", "IM2COL": "Im2col",
    "HDF5_OUTPUT": "HDF5Output",
}
V2_TO_V1 = {v: k for k, v in V1_TO_V2.items()}


class ProtoError(Exception):
    """A malformed prototxt or caffemodel, or one that does not fit."""


# ---------------------------------------------------------------------------
# Protobuf text format


class Msg:
    """A parsed text-format message: ordered (field, value) pairs.

    Values are str (quoted strings and bare identifiers keep their text;
    ``quoted`` tells them apart), int, float or Msg.
    """

    def __init__(self):
        self.fields = []

    def add(self, key, value):
        self.fields.append((key, value))

    def all(self, key):
        """Every value of a repeated field, in order."""
        return [v for k, v in self.fields if k == key]

    def get(self, key, default=None):
        """The last value of a field (protobuf: last one wins), or default."""
        vals = self.all(key)
        return vals[-1] if vals else default

    def has(self, key):
        return any(k == key for k, _ in self.fields)

    def __repr__(self):
        return "Msg(%r)" % (self.fields,)


def _tokenize(text):
    i, n, line, col0 = 0, len(text), 1, 0
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            col0 = i + 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{}:<>;,[]":
            yield (c, c, line, i - col0 + 1)
            i += 1
        elif c in "\"'":
            start, j, out = i, i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\n":
                    raise ProtoError("%d:%d: unterminated string"
                                     % (line, start - col0 + 1))
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                    out.append({"n": "\n", "t": "\t", "r": "\r"}.get(
                        text[j], text[j]))
                else:
                    out.append(text[j])
                j += 1
            if j >= n:
                raise ProtoError("%d:%d: unterminated string"
                                 % (line, start - col0 + 1))
            yield ("str", "".join(out), line, start - col0 + 1)
            i = j + 1
        else:
            start = i
            while i < n and (text[i].isalnum() or text[i] in "_.+-"):
                i += 1
            if i == start:
                raise ProtoError("%d:%d: unexpected character %r"
                                 % (line, i - col0 + 1, c))
            yield ("word", text[start:i], line, start - col0 + 1)


def _scalar(word):
    try:
        return int(word, 0)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word  # an enum or identifier (MAX, true, ...)


def parse_prototxt(text):
    """Parses protobuf text format into a :class:`Msg` (raises ProtoError
    with line:column on a syntax error)."""
    toks = list(_tokenize(text))
    pos = 0

    def err(msg, tok=None):
        if tok is None:
            tok = toks[pos] if pos < len(toks) else None
        where = "%d:%d" % (tok[2], tok[3]) if tok else "end of file"
        return ProtoError("%s: %s" % (where, msg))

    def parse_body(close):
        nonlocal pos
        msg = Msg()
        while True:
            if pos >= len(toks):
                if close is None:
                    return msg
                raise err("missing '%s'" % close)
            kind, val = toks[pos][0], toks[pos][1]
            if close is not None and kind == close:
                pos += 1
                return msg
            if kind in (";", ","):
                pos += 1
                continue
            if kind != "word":
                raise err("expected a field name, got %r" % val)
            key = val
            pos += 1
            has_colon = pos < len(toks) and toks[pos][0] == ":"
            if has_colon:
                pos += 1
            if pos >= len(toks):
                raise err("missing value for %r" % key)
            kind, val = toks[pos][0], toks[pos][1]
            if kind in ("{", "<"):
                pos += 1
                msg.add(key, parse_body("}" if kind == "{" else ">"))
            elif not has_colon:
                raise err("expected ':' or '{' after %r" % key)
            elif kind == "[":
                pos += 1
                while pos < len(toks) and toks[pos][0] != "]":
                    if toks[pos][0] == ",":
                        pos += 1
                        continue
                    msg.add(key, _value(toks[pos]))
                    pos += 1
                if pos >= len(toks):
                    raise err("missing ']'")
                pos += 1
            else:
                msg.add(key, _value(toks[pos]))
                pos += 1

    def _value(tok):
        if tok[0] == "str":
            return tok[1]
        if tok[0] == "word":
            return _scalar(tok[1])
        raise err("expected a value, got %r" % tok[1], tok)

    return parse_body(None)


# ---------------------------------------------------------------------------
# Layers and shapes


class Layer:
    """One layer of a net: name, V2 type string, bottoms, tops, params (Msg)."""

    def __init__(self, name, type_, bottom, top, msg):
        self.name, self.type, self.bottom, self.top = name, type_, bottom, top
        self.msg = msg

    def param(self, key):
        """The ``*_param`` sub-message (an empty Msg when absent)."""
        return self.msg.get(key) or Msg()

    def __repr__(self):
        return "Layer(%r, %r)" % (self.name, self.type)


def _include_test(m):
    """True when the layer takes part in the TEST phase."""
    for rule in m.all("include"):
        if rule.get("phase") not in (None, "TEST"):
            return False
    for rule in m.all("exclude"):
        if rule.get("phase") == "TEST":
            return False
    return True


def net_layers(net):
    """The layers of a parsed NetParameter (V2 or V1), TEST phase only."""
    out = []
    if net.has("layer") and net.has("layers"):
        raise ProtoError("net mixes 'layer' and 'layers'")
    for m in net.all("layer"):
        if _include_test(m):
            out.append(Layer(m.get("name", ""), m.get("type", ""),
                             m.all("bottom"), m.all("top"), m))
    for m in net.all("layers"):
        t = m.get("type", "")
        if isinstance(t, int):
            t = V1_TYPE_NAMES.get(t, str(t))
        if _include_test(m):
            out.append(Layer(m.get("name", ""), V1_TO_V2.get(t, t),
                             m.all("bottom"), m.all("top"), m))
    return out


def _spatial(p, key, default):
    """kernel_size/pad/stride as [h, w]: repeated, single, or key_h/key_w."""
    base = {"kernel_size": "kernel", "pad": "pad", "stride": "stride",
            "dilation": "dilation"}[key]
    h, w = p.get(base + "_h"), p.get(base + "_w")
    if h is not None or w is not None:
        return [int(h if h is not None else default),
                int(w if w is not None else default)]
    vals = [int(v) for v in p.all(key)]
    if not vals:
        return [default, default]
    if len(vals) == 1:
        return [vals[0], vals[0]]
    return vals[:2]


def _bool(v, default):
    if v is None:
        return default
    if isinstance(v, str):
        return v.lower() in ("true", "t", "1")
    return bool(v)


def net_input_shapes(net, layers):
    """{blob: shape} for the net's inputs (input/input_dim/input_shape or
    Input layers)."""
    shapes = {}
    names = net.all("input")
    dims = [int(d) for d in net.all("input_dim")]
    ishapes = net.all("input_shape")
    for i, name in enumerate(names):
        if i < len(ishapes):
            shapes[name] = [int(d) for d in ishapes[i].all("dim")]
        elif len(dims) >= 4 * (i + 1):
            shapes[name] = dims[4 * i:4 * i + 4]
        else:
            raise ProtoError("input %r has no shape" % name)
    for l in layers:
        if l.type == "Input":
            sh = l.param("input_param").all("shape")
            for i, top in enumerate(l.top):
                s = sh[i] if i < len(sh) else (sh[0] if sh else None)
                if s is None:
                    raise ProtoError("Input layer %r has no shape" % l.name)
                shapes[top] = [int(d) for d in s.all("dim")]
    return shapes


def infer_shapes(net):
    """Returns (layers, blob_shapes, param_shapes).

    blob_shapes: {blob name: shape list} (final shape after all layers).
    param_shapes: {layer name: [shape, ...]} in Caffe's blob order.
    """
    layers = net_layers(net)
    shapes = net_input_shapes(net, layers)
    params = {}
    for l in layers:
        if l.type == "Input":
            continue
        try:
            bs = [shapes[b] for b in l.bottom]
        except KeyError as e:
            raise ProtoError("layer %r: unknown bottom %s" % (l.name, e))
        t = l.type
        ps = []
        if t in ("Convolution", "Deconvolution"):
            p = l.param("convolution_param")
            n, c, h, w = bs[0]
            o = int(p.get("num_output"))
            k = _spatial(p, "kernel_size", 1)
            pad = _spatial(p, "pad", 0)
            st = _spatial(p, "stride", 1)
            dil = _spatial(p, "dilation", 1)
            g = int(p.get("group", 1))
            if t == "Deconvolution":
                raise ProtoError("Deconvolution not supported")
            oh = (h + 2 * pad[0] - (dil[0] * (k[0] - 1) + 1)) // st[0] + 1
            ow = (w + 2 * pad[1] - (dil[1] * (k[1] - 1) + 1)) // st[1] + 1
            ps.append([o, c // g, k[0], k[1]])
            if _bool(p.get("bias_term"), True):
                ps.append([o])
            out = [n, o, oh, ow]
        elif t == "InnerProduct":
            p = l.param("inner_product_param")
            axis = int(p.get("axis", 1))
            o = int(p.get("num_output"))
            k = int(np.prod(bs[0][axis:]))
            # transpose: true stores the weight as [K, O]
            ps.append([k, o] if _bool(p.get("transpose"), False) else [o, k])
            if _bool(p.get("bias_term"), True):
                ps.append([o])
            out = bs[0][:axis] + [o]
        elif t == "Pooling":
            p = l.param("pooling_param")
            n, c, h, w = bs[0]
            if _bool(p.get("global_pooling"), False):
                out = [n, c, 1, 1]
            else:
                k = _spatial(p, "kernel_size", 1)
                pad = _spatial(p, "pad", 0)
                st = _spatial(p, "stride", 1)
                dims = []
                for i, x in enumerate((h, w)):
                    o = int(math.ceil((x + 2 * pad[i] - k[i]) / st[i])) + 1
                    if pad[i] and (o - 1) * st[i] >= x + pad[i]:
                        o -= 1
                    dims.append(o)
                out = [n, c] + dims
        elif t == "Concat":
            p = l.param("concat_param")
            axis = int(p.get("axis", p.get("concat_dim", 1)))
            out = list(bs[0])
            out[axis] = sum(b[axis] for b in bs)
        elif t == "Flatten":
            out = [bs[0][0], int(np.prod(bs[0][1:]))]
        elif t == "BatchNorm":
            c = bs[0][1]
            ps = [[c], [c], [1]]
            out = list(bs[0])
        elif t == "Scale":
            p = l.param("scale_param")
            c = bs[0][1]
            ps = [[c]]
            if _bool(p.get("bias_term"), False):
                ps.append([c])
            out = list(bs[0])
        elif t == "PReLU":
            p = l.param("prelu_param")
            ps = [[1] if _bool(p.get("channel_shared"), False)
                  else [bs[0][1]]]
            out = list(bs[0])
        elif t in ("ReLU", "LRN", "Dropout", "Softmax", "Sigmoid", "TanH",
                   "Eltwise", "Split", "AbsVal", "Power", "Exp", "BNLL"):
            out = list(bs[0])
        else:
            raise ProtoError("layer %r: unsupported type %r" % (l.name, t))
        for top in l.top:
            shapes[top] = out
        params[l.name] = ps
    return layers, shapes, params


def _deploy_params(l):
    """The parameters of @l that change what a deploy network computes, with
    Caffe's defaults filled in; training-only fields (fillers, lr_mult,
    decay_mult) are left out."""
    t = l.type
    if t == "Convolution":
        p = l.param("convolution_param")
        return dict(num_output=int(p.get("num_output")),
                    kernel=_spatial(p, "kernel_size", 1),
                    pad=_spatial(p, "pad", 0), stride=_spatial(p, "stride", 1),
                    dilation=_spatial(p, "dilation", 1),
                    group=int(p.get("group", 1)),
                    bias=_bool(p.get("bias_term"), True))
    if t == "Pooling":
        p = l.param("pooling_param")
        return dict(pool=str(p.get("pool", "MAX")),
                    kernel=_spatial(p, "kernel_size", 1),
                    pad=_spatial(p, "pad", 0), stride=_spatial(p, "stride", 1),
                    global_pooling=_bool(p.get("global_pooling"), False))
    if t == "LRN":
        p = l.param("lrn_param")
        return dict(local_size=int(p.get("local_size", 5)),
                    alpha=float(p.get("alpha", 1.0)),
                    beta=float(p.get("beta", 0.75)), k=float(p.get("k", 1.0)),
                    region=str(p.get("norm_region", "ACROSS_CHANNELS")))
    if t == "InnerProduct":
        p = l.param("inner_product_param")
        return dict(num_output=int(p.get("num_output")),
                    axis=int(p.get("axis", 1)),
                    bias=_bool(p.get("bias_term"), True),
                    transpose=_bool(p.get("transpose"), False))
    if t == "Dropout":
        return dict(ratio=float(l.param("dropout_param").get("dropout_ratio", 0.5)))
    if t in ("Concat", "Softmax"):
        p = l.param(t.lower() + "_param")
        return dict(axis=int(p.get("axis", p.get("concat_dim", 1))))
    if t == "ReLU":
        return dict(negative_slope=float(
            l.param("relu_param").get("negative_slope", 0.0)))
    return {}


def net_structure(text):
    """What a deploy prototxt computes, as plain data that two files can be
    compared by: every layer (name, type, bottoms, tops, deploy parameters,
    parameter blob shapes) in order, and every blob's shape.  The net's own
    name, fillers and learning-rate settings do not count."""
    net = parse_prototxt(text)
    layers, shapes, params = infer_shapes(net)
    return dict(
        layers=[dict(name=l.name, type=l.type, bottom=list(l.bottom),
                     top=list(l.top), params=_deploy_params(l),
                     blobs=params.get(l.name, []))
                for l in layers],
        blobs={k: list(v) for k, v in sorted(shapes.items())})


# ---------------------------------------------------------------------------
# Random weights


def random_weights(prototxt_text, seed=0, bias_scale=0.05, gain=math.sqrt(2)):
    """Random weights in the shapes a prototxt asks for.

    Returns ``(layers, blobs)`` where blobs maps layer name -> list of
    float32 arrays in Caffe order.  Weights are normal with standard
    deviation ``gain / sqrt(fan_in)`` (He init: keeps the scale of
    activations roughly constant through conv+ReLU stacks); biases are
    normal with standard deviation ``bias_scale``.  BatchNorm gets positive
    variances and a moving-average factor of 1; Scale gets values near 1.
    Deterministic for a given seed.
    """
    net = parse_prototxt(prototxt_text)
    layers, _, params = infer_shapes(net)
    rng = np.random.default_rng(seed)
    blobs = {}
    for l in layers:
        ps = params.get(l.name, [])
        if not ps:
            continue
        arrs = []
        if l.type in ("Convolution", "InnerProduct"):
            w = ps[0]
            fan_in = int(np.prod(w[1:]))
            if l.type == "InnerProduct" and _bool(
                    l.param("inner_product_param").get("transpose"), False):
                fan_in = w[0]
            arrs.append((rng.standard_normal(w, dtype=np.float32)
                         * np.float32(gain / math.sqrt(fan_in))))
            for s in ps[1:]:
                arrs.append(rng.standard_normal(s, dtype=np.float32)
                            * np.float32(bias_scale))
        elif l.type == "BatchNorm":
            c = ps[0][0]
            arrs.append(rng.standard_normal(c).astype(np.float32) * 0.1)
            arrs.append(rng.uniform(0.5, 1.5, c).astype(np.float32))
            arrs.append(np.ones(1, np.float32))
        elif l.type == "Scale":
            arrs.append(rng.uniform(0.8, 1.2, ps[0]).astype(np.float32))
            for s in ps[1:]:
                arrs.append(rng.standard_normal(s).astype(np.float32)
                            * np.float32(bias_scale))
        elif l.type == "PReLU":
            arrs.append(rng.uniform(0.05, 0.3, ps[0]).astype(np.float32))
        blobs[l.name] = arrs
    return layers, blobs


def calibrate_last_layer(prototxt_path, layers, blobs, inputs,
                         target_std=1.5):
    """Rescales the last InnerProduct before the final Softmax so that the
    logit differences over ``inputs`` (N x C x H x W float32) have standard
    deviation ``target_std`` and mean 0: scores then spread over (0, 1)
    instead of sticking to 0 or 1.  Uses OpenCV DNN to get the features.
    Returns the scale applied."""
    ips = [l for l in layers if l.type == "InnerProduct"]
    if not ips:
        return 1.0
    last = ips[-1]
    buf = caffemodel_bytes(layers, blobs)
    net = _cv_net(prototxt_path, buf)
    del buf
    net.setInput(inputs)
    feat = net.forward(last.bottom[0]).reshape(len(inputs), -1)
    w, b = blobs[last.name][0], blobs[last.name][1]
    logits = feat.astype(np.float64) @ w.T.astype(np.float64) + b
    if logits.shape[1] < 2:
        return 1.0
    d = logits[:, 1] - logits[:, 0]
    std = float(d.std()) if len(d) > 1 else float(abs(d[0]))
    s = target_std / std if std > 0 else 1.0
    blobs[last.name][0] = (w * np.float32(s)).astype(np.float32)
    # Centre the difference so that the mean score is near 0.5.
    b = (b * np.float32(s)).astype(np.float32)
    b[1] -= np.float32(d.mean() * s)
    blobs[last.name][1] = b
    return s


def _cv_net(prototxt_path, model_bytes):
    import cv2
    with open(prototxt_path, "rb") as f:
        proto = f.read()
    return cv2.dnn.readNetFromCaffe(np.frombuffer(proto, np.uint8),
                                    np.frombuffer(model_bytes, np.uint8))


# ---------------------------------------------------------------------------
# Wire format writing


def _varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _len_field(field, payload_len):
    return _key(field, 2) + _varint(payload_len)


def _string(field, s):
    b = s.encode("utf-8")
    return _len_field(field, len(b)) + b


class _Blob:
    """A BlobProto to be written: header bytes + float data (not copied)."""

    def __init__(self, array, v1, double=False, unpacked=False):
        a = np.asarray(array)
        head = bytearray()
        if v1:
            dims = list(a.shape)
            if len(dims) > 4:
                raise ProtoError("V1 blobs have at most 4 dimensions")
            dims = [1] * (4 - len(dims)) + dims
            for f, d in zip((BLOB_NUM, BLOB_CHANNELS, BLOB_HEIGHT,
                             BLOB_WIDTH), dims):
                head += _key(f, 0) + _varint(int(d))
        else:
            sh = b"".join(_varint(int(d)) for d in a.shape)
            inner = _len_field(SHAPE_DIM, len(sh)) + sh
            head += _len_field(BLOB_SHAPE, len(inner)) + inner
        if double:
            self.data = np.ascontiguousarray(a, dtype="<f8").reshape(-1)
            field, wire, width = BLOB_DOUBLE_DATA, 1, 8
        else:
            self.data = np.ascontiguousarray(a, dtype="<f4").reshape(-1)
            field, wire, width = BLOB_DATA, 5, 4
        self.unpacked = unpacked
        if unpacked:
            self.elem_key = _key(field, wire)
            data_len = self.data.size * (len(self.elem_key) + width)
        else:
            head += _len_field(field, self.data.size * width)
            data_len = self.data.nbytes
        self.head = bytes(head)
        self.size = len(self.head) + data_len

    def write(self, f):
        f.write(self.head)
        if not self.unpacked:
            f.write(memoryview(self.data).cast("B"))
            return
        k = np.frombuffer(self.elem_key, np.uint8)
        raw = self.data.view(np.uint8).reshape(self.data.size, -1)
        rows = np.empty((self.data.size, len(k) + raw.shape[1]), np.uint8)
        rows[:, :len(k)] = k
        rows[:, len(k):] = raw
        f.write(rows.tobytes())


def _layer_records(layers, blobs, v1, with_bottoms=True, **blob_opts):
    recs = []
    for l in layers:
        arrs = blobs.get(l.name)
        if arrs is None and not with_bottoms:
            continue
        head = bytearray()
        if v1:
            t = V2_TO_V1.get(l.type, l.type.upper())
            if t not in V1_TYPES:
                if not arrs:
                    continue  # e.g. Input: V1 nets used net-level inputs
                raise ProtoError("type %r has no V1 enum" % l.type)
            head += _string(V1_NAME, l.name)
            head += _key(V1_TYPE, 0) + _varint(V1_TYPES[t])
            bottom_field, top_field, blob_field = V1_BOTTOM, V1_TOP, V1_BLOBS
        else:
            head += _string(LAYER_NAME, l.name)
            head += _string(LAYER_TYPE, l.type)
            bottom_field, top_field, blob_field = (LAYER_BOTTOM, LAYER_TOP,
                                                   LAYER_BLOBS)
        if with_bottoms:
            for b in l.bottom:
                head += _string(bottom_field, b)
            for t_ in l.top:
                head += _string(top_field, t_)
        bl = [_Blob(a, v1, **blob_opts) for a in (arrs or [])]
        body = len(head) + sum(len(_len_field(blob_field, b.size)) + b.size
                               for b in bl)
        recs.append((bytes(head), blob_field, bl, body))
    return recs


def write_caffemodel(path, layers, blobs, v1=False, name=None,
                     with_bottoms=True, double=False, unpacked=False):
    """Writes a binary caffemodel (NetParameter) to ``path``.

    layers: sequence of objects with .name, .type (V2 string such as
    "Convolution"), .bottom, .top (e.g. :class:`Layer` from
    :func:`net_layers`; a layer in ``blobs`` but not in ``layers`` is not
    written).  blobs: {layer name: [numpy arrays]} in Caffe order (conv
    weight [O, C/g, kh, kw] then bias [O]; InnerProduct weight [O, K] then
    bias [O]).  v1=True writes the deprecated ``layers`` (field 2) layout with
    enum types and num/channels/height/width blob dims (shapes left-padded
    with 1 to 4-D, as old Caffe did); otherwise ``layer`` (field 100) with
    BlobShape.  double=True stores ``double_data``; unpacked=True writes
    each float as its own field (legal protobuf, rarely seen).  The data is
    streamed: memory use stays at about one copy of the weights.
    """
    recs = _layer_records(layers, blobs, v1, with_bottoms,
                          double=double, unpacked=unpacked)
    with open(path, "wb") as f:
        _write_net(f, recs, v1, name)


def caffemodel_bytes(layers, blobs, v1=False, **kw):
    """Same as :func:`write_caffemodel` but returns the bytes."""
    import io
    bio = io.BytesIO()
    recs = _layer_records(layers, blobs, v1, kw.get("with_bottoms", True),
                          double=kw.get("double", False),
                          unpacked=kw.get("unpacked", False))
    _write_net(bio, recs, v1, kw.get("name"))
    return bio.getbuffer()


def _write_net(f, recs, v1, name):
    """Writes a NetParameter: ``name``, then the records of
    :func:`_layer_records` with their blobs."""
    field = NET_LAYERS_V1 if v1 else NET_LAYER
    if name:
        f.write(_string(NET_NAME, name))
    for head, blob_field, bl, body in recs:
        f.write(_len_field(field, body))
        f.write(head)
        for b in bl:
            f.write(_len_field(blob_field, b.size))
            b.write(f)


def blobproto_bytes(array, v1=True):
    """A serialized BlobProto (as in mean.binaryproto) holding ``array``."""
    import io
    bio = io.BytesIO()
    b = _Blob(array, v1)
    b.write(bio)
    return bio.getvalue()


def write_blobproto(path, array, v1=True):
    """Writes ``array`` as a BlobProto file (mean.binaryproto layout: 4-D
    num/channels/height/width when v1, else BlobShape)."""
    with open(path, "wb") as f:
        f.write(blobproto_bytes(array, v1))


# ---------------------------------------------------------------------------
# Wire format reading


class _Reader:
    def __init__(self, buf, start=0, end=None):
        self.buf, self.pos = buf, start
        self.end = len(buf) if end is None else end

    def varint(self):
        v, shift = 0, 0
        while True:
            if self.pos >= self.end or shift > 63:
                raise ProtoError("truncated or bad varint at %d" % self.pos)
            b = self.buf[self.pos]
            self.pos += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def fields(self):
        """Yields (field, wire, value) where value is an int for varint and
        fixed fields, or (start, end) for length-delimited ones."""
        while self.pos < self.end:
            key = self.varint()
            field, wire = key >> 3, key & 7
            if wire == 0:
                yield field, wire, self.varint()
            elif wire == 1:
                if self.pos + 8 > self.end:
                    raise ProtoError("truncated fixed64")
                yield field, wire, (self.pos, self.pos + 8)
                self.pos += 8
            elif wire == 5:
                if self.pos + 4 > self.end:
                    raise ProtoError("truncated fixed32")
                yield field, wire, (self.pos, self.pos + 4)
                self.pos += 4
            elif wire == 2:
                n = self.varint()
                if self.pos + n > self.end:
                    raise ProtoError("length past the end at %d" % self.pos)
                yield field, wire, (self.pos, self.pos + n)
                self.pos += n
            else:
                raise ProtoError("unsupported wire type %d" % wire)


def _read_blob(buf, start, end):
    dims4 = {}
    shape = None
    parts, dparts = [], []
    for f, w, v in _Reader(buf, start, end).fields():
        if f in (BLOB_NUM, BLOB_CHANNELS, BLOB_HEIGHT, BLOB_WIDTH) and w == 0:
            dims4[f] = v
        elif f == BLOB_SHAPE and w == 2:
            shape = []
            for f2, w2, v2 in _Reader(buf, *v).fields():
                if f2 == SHAPE_DIM and w2 == 2:
                    r = _Reader(buf, *v2)
                    while r.pos < r.end:
                        shape.append(r.varint())
                elif f2 == SHAPE_DIM and w2 == 0:
                    shape.append(v2)
        elif f == BLOB_DATA:
            parts.append(np.frombuffer(buf, "<f4", (v[1] - v[0]) // 4, v[0]))
        elif f == BLOB_DOUBLE_DATA:
            dparts.append(np.frombuffer(buf, "<f8", (v[1] - v[0]) // 8, v[0]))
    if shape is None:
        shape = [dims4.get(k, 0) for k in (BLOB_NUM, BLOB_CHANNELS,
                                           BLOB_HEIGHT, BLOB_WIDTH)]
    if parts:
        data = parts[0] if len(parts) == 1 else np.concatenate(parts)
    elif dparts:
        data = np.concatenate(dparts).astype(np.float32)
    else:
        data = np.zeros(0, np.float32)
    if int(np.prod(shape)) != data.size:
        raise ProtoError("blob shape %s does not hold %d values"
                         % (shape, data.size))
    return data.reshape(shape)


def read_caffemodel(path):
    """Reads a binary caffemodel: list of (name, type, [arrays]).

    V1 types come back as V2 strings.  Arrays are read-only views into an
    mmap of the file (packed float data) or copies (unpacked/double)."""
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    out = []
    for f, w, v in _Reader(buf).fields():
        if w != 2 or f not in (NET_LAYER, NET_LAYERS_V1):
            continue
        v1 = f == NET_LAYERS_V1
        name, type_, arrs = "", "", []
        for f2, w2, v2 in _Reader(buf, *v).fields():
            if f2 == (V1_NAME if v1 else LAYER_NAME) and w2 == 2:
                name = bytes(buf[v2[0]:v2[1]]).decode()
            elif not v1 and f2 == LAYER_TYPE and w2 == 2:
                type_ = bytes(buf[v2[0]:v2[1]]).decode()
            elif v1 and f2 == V1_TYPE and w2 == 0:
                t = V1_TYPE_NAMES.get(v2, str(v2))
                type_ = V1_TO_V2.get(t, t)
            elif f2 == (V1_BLOBS if v1 else LAYER_BLOBS) and w2 == 2:
                arrs.append(_read_blob(buf, *v2))
        out.append((name, type_, arrs))
    return out


def read_blobproto(path):
    """Reads a BlobProto file (mean.binaryproto) into a numpy array."""
    with open(path, "rb") as f:
        buf = f.read()
    return _read_blob(buf, 0, len(buf))


# ---------------------------------------------------------------------------
# Command line


def _main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random", help="write a random-weight caffemodel")
    r.add_argument("prototxt")
    r.add_argument("out")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--v1", action="store_true",
                   help="deprecated V1 layout (layers = 2, 4-D blobs)")
    r.add_argument("--calibrate", action="store_true",
                   help="rescale the classifier so scores spread over (0,1)"
                   " (needs OpenCV)")
    d = sub.add_parser("dump", help="list a caffemodel's layers and blobs")
    d.add_argument("caffemodel")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "random":
            with open(a.prototxt) as f:
                text = f.read()
            layers, blobs = random_weights(text, a.seed)
            if a.calibrate:
                calibrate_for_scores(a.prototxt, text, layers, blobs, a.seed)
            write_caffemodel(a.out, layers, blobs, v1=a.v1)
        else:
            for name, t, arrs in read_caffemodel(a.caffemodel):
                print(name, t, " ".join("x".join(map(str, x.shape))
                                        for x in arrs))
    except (ProtoError, OSError) as e:
        print("caffe_pb: %s" % e, file=sys.stderr)
        return 1
    return 0


def sample_inputs(shape, n, seed):
    """``n`` deterministic synthetic network inputs of ``shape`` (C, H, W),
    valued like mean-subtracted 0..255 pixels, that differ from each other
    the way photos do: a global per-channel offset and contrast per image,
    smooth structure (an upsampled coarse random grid) and a little fine
    noise.  Used to calibrate random-weight models and to test them."""
    c, h, w = (int(v) for v in shape)
    rng = np.random.default_rng(seed)
    out = np.empty((n, c, h, w), np.float32)
    ys = (np.arange(h) * 7 // max(h, 1))
    xs = (np.arange(w) * 7 // max(w, 1))
    for i in range(n):
        coarse = rng.uniform(-1, 1, (c, 7, 7))
        smooth = coarse[:, ys][:, :, xs]
        offset = rng.uniform(-60, 60, (c, 1, 1))
        contrast = rng.uniform(10, 90)
        noise = rng.standard_normal((c, h, w)) * rng.uniform(0, 20)
        out[i] = np.clip(offset + contrast * smooth + noise, -128, 160)
    return out


def calibrate_for_scores(prototxt_path, text, layers, blobs, seed):
    """Calibrates the classifier on :func:`sample_inputs` (16 images, seed
    ``seed + 1``) so that their scores spread over (0, 1)."""
    net = parse_prototxt(text)
    shp = list(net_input_shapes(net, net_layers(net)).values())[0]
    x = sample_inputs(shp[1:], 16, seed + 1)
    return calibrate_last_layer(prototxt_path, layers, blobs, x)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
