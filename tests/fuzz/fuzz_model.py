#!/usr/bin/python3
"""Corrupt .ilgnet files through libilgnet (ilgnet-fuzz-load: open, make a
session, run) and ilgnet-score: never a signal, failures are one line.

Mutations (deterministic seed): truncations and extensions, preamble and
header-length edits, JSON edits that must be rejected (wrong shapes,
offsets past the end / misaligned / overlapping, bad dtypes and scales,
unknown layer types, dangling bottoms, bad parameters, bad input/output
sections, broken JSON), and random byte flips (which may be accepted: the
file stays well-formed when only weights change).  A subset also runs
under valgrind when it is installed.
"""

import argparse
import copy
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

import fuzz_common as fc
from ilgnet_tools import caffe_pb

SEED = 20240611


def split(path):
    raw = open(path, "rb").read()
    hlen = struct.unpack("<Q", raw[16:24])[0]
    header = json.loads(raw[24:24 + hlen].decode())
    return raw, header, raw[24 + hlen:]


def assemble(header, data, raw_json=None):
    js = raw_json if raw_json is not None else json.dumps(header).encode()
    pad = (-(24 + len(js))) % 64
    js += b" " * pad
    return (b"ILGNETMF" + struct.pack("<IIQ", 1, 0, len(js)) + js + data)


def layer_named(h, name):
    return [l for l in h["layers"] if l["name"] == name][0]


def json_mutations(h, rng):
    """(description, mutate(header) -> header or bytes) pairs; all must be
    rejected."""
    tensors = sorted(h["tensors"])
    weights = [t for t in tensors if t.endswith(".weight")]
    D = h["data_size"]
    m = []

    def t_edit(desc, fn):
        for t in rng.sample(weights, 2):
            def f(x, t=t):
                fn(x["tensors"][t], x)
                return x
            m.append(("%s (%s)" % (desc, t), f))

    t_edit("shape dim +1", lambda t, x: t["shape"].__setitem__(
        0, t["shape"][0] + 1))
    t_edit("shape dim 0", lambda t, x: t["shape"].__setitem__(0, 0))
    t_edit("shape dim -1", lambda t, x: t["shape"].__setitem__(0, -1))
    t_edit("shape dim 2^40", lambda t, x: t["shape"].__setitem__(0, 2**40))
    t_edit("shape dim 2^62", lambda t, x: t["shape"].__setitem__(-1, 2**62))
    t_edit("shape dropped dim", lambda t, x: t["shape"].pop())
    t_edit("shape extra dim", lambda t, x: (
        t["shape"].append(2), t.__setitem__("nbytes", t["nbytes"] * 2)))
    t_edit("shape not a list", lambda t, x: t.__setitem__("shape", 5))
    t_edit("shape and nbytes consistent but wrong for the layer",
           lambda t, x: (t["shape"].__setitem__(0, t["shape"][0] * 2),
                         t.__setitem__("nbytes", t["nbytes"] * 2),
                         x.__setitem__("data_size", x["data_size"])))
    t_edit("offset past the end", lambda t, x: t.__setitem__(
        "offset", D + 64))
    t_edit("offset far past the end", lambda t, x: t.__setitem__(
        "offset", 2**62))
    t_edit("offset misaligned", lambda t, x: t.__setitem__(
        "offset", t["offset"] + 4))
    t_edit("offset negative", lambda t, x: t.__setitem__("offset", -64))
    t_edit("nbytes +4", lambda t, x: t.__setitem__("nbytes", t["nbytes"] + 4))
    t_edit("nbytes huge", lambda t, x: t.__setitem__("nbytes", 2**63 - 1))
    t_edit("dtype f64", lambda t, x: t.__setitem__("dtype", "f64"))
    t_edit("dtype i8 without scales", lambda t, x: (
        t.__setitem__("dtype", "i8"), t.pop("scales", None)))
    t_edit("missing offset", lambda t, x: t.pop("offset"))
    t_edit("offset is a string", lambda t, x: t.__setitem__("offset", "0"))

    def overlap(x):
        a, b = rng.sample(weights, 2)
        x["tensors"][a]["offset"] = x["tensors"][b]["offset"]
        return x
    m.append(("overlapping tensors", overlap))

    def layer_edit(desc, name, fn):
        def f(x):
            fn(layer_named(x, name), x)
            return x
        m.append(("%s (%s)" % (desc, name), f))

    layer_edit("unknown type", "relu1", lambda l, x: l.__setitem__(
        "type", "Sigmoid"))
    layer_edit("unknown type", "conv1", lambda l, x: l.__setitem__(
        "type", "Deconvolution"))
    layer_edit("dangling bottom", "fc1", lambda l, x: l.__setitem__(
        "bottom", ["nope"]))
    layer_edit("bottom is a later blob", "conv1", lambda l, x: l.__setitem__(
        "bottom", ["fc2"]))
    layer_edit("no bottom", "pool1", lambda l, x: l.__setitem__(
        "bottom", []))
    layer_edit("two tops", "pool1", lambda l, x: l.__setitem__(
        "top", ["pool1", "pool1b"]))
    layer_edit("unknown tensor", "fc1", lambda l, x: l.__setitem__(
        "blobs", ["fc1.nope", "fc1.bias"]))
    layer_edit("weights missing", "a", lambda l, x: l.__setitem__(
        "blobs", []))
    layer_edit("weights swapped with another layer's", "a",
               lambda l, x: l.__setitem__("blobs", ["b.weight", "b.bias"]))
    layer_edit("num_output wrong", "fc2", lambda l, x: l["param"].__setitem__(
        "num_output", 3))
    layer_edit("num_output string", "fc2",
               lambda l, x: l["param"].__setitem__("num_output", "two"))
    layer_edit("kernel 0", "conv1", lambda l, x: l["param"].__setitem__(
        "kernel", [0, 0]))
    layer_edit("kernel larger than input", "pool1",
               lambda l, x: l["param"].__setitem__("kernel", [99, 99]))
    layer_edit("stride 0", "pool1", lambda l, x: l["param"].__setitem__(
        "stride", [0, 0]))
    layer_edit("stride 3-vector", "conv1",
               lambda l, x: l["param"].__setitem__("stride", [1, 2, 3]))
    layer_edit("group not dividing", "b", lambda l, x: l["param"].__setitem__(
        "group", 3))
    layer_edit("pool min", "pool1", lambda l, x: l["param"].__setitem__(
        "pool", "min"))
    layer_edit("LRN region", "norm1", lambda l, x: l["param"].__setitem__(
        "region", "diagonal"))
    layer_edit("LRN local_size 0", "norm1",
               lambda l, x: l["param"].__setitem__("local_size", 0))
    layer_edit("eltwise op", "sum", lambda l, x: l["param"].__setitem__(
        "operation", "div"))
    layer_edit("eltwise shapes", "sum", lambda l, x: l.__setitem__(
        "bottom", ["a", "pool1"]))
    layer_edit("concat shapes", "cat", lambda l, x: l.__setitem__(
        "bottom", ["a", "conv1"]))
    layer_edit("concat axis 2", "cat", lambda l, x: l["param"].__setitem__(
        "axis", 2))
    layer_edit("in place on the input", "relu1", lambda l, x: (
        l.__setitem__("bottom", ["data"]), l.__setitem__("top", ["data"])))
    layer_edit("conv in place", "a", lambda l, x: l.__setitem__(
        "top", ["norm1"]))
    layer_edit("param not an object", "conv1", lambda l, x: l.__setitem__(
        "param", [1, 2]))
    layer_edit("name missing", "fc2", lambda l, x: l.pop("name"))

    def drop_producer(x):
        x["layers"] = [l for l in x["layers"] if l["name"] != "pool1"]
        return x
    m.append(("producer layer removed", drop_producer))

    def input_first_moved(x):
        x["layers"].append(x["layers"].pop(0))
        return x
    m.append(("Input layer not first", input_first_moved))

    def section(desc, fn):
        def f(x):
            fn(x)
            return x
        m.append((desc, f))

    section("input shape 0", lambda x: x["input"]["shape"].__setitem__(1, 0))
    section("input shape huge", lambda x: x["input"].__setitem__(
        "shape", [3, 2**20, 2**20]))
    section("input shape 2 dims", lambda x: x["input"]["shape"].pop())
    section("input with 4 channels", lambda x: x["input"][
        "shape"].__setitem__(0, 4))
    section("mean of 2 values", lambda x: x["input"].__setitem__(
        "mean", [1, 2]))
    section("mean strings", lambda x: x["input"].__setitem__(
        "mean", ["a", "b", "c"]))
    section("channel order", lambda x: x["input"].__setitem__(
        "channel_order", "gbr"))
    section("scale string", lambda x: x["input"].__setitem__("scale", "1"))
    section("input blob unknown", lambda x: x["input"].__setitem__(
        "blob", "image"))
    section("input missing", lambda x: x.pop("input"))
    section("output blob unknown", lambda x: x["output"].__setitem__(
        "blob", "nope"))
    section("high_index 2", lambda x: x["output"].__setitem__(
        "high_index", 2))
    section("high_index -1", lambda x: x["output"].__setitem__(
        "high_index", -1))
    section("data_size +64", lambda x: x.__setitem__("data_size", D + 64))
    section("data_size -64", lambda x: x.__setitem__("data_size", D - 64))
    section("data_size huge", lambda x: x.__setitem__("data_size", 2**63))
    section("format name", lambda x: x.__setitem__("format", "onnx"))
    section("version 2", lambda x: x.__setitem__("version", 2))
    section("layers empty", lambda x: x.__setitem__("layers", []))
    section("layers an object", lambda x: x.__setitem__("layers", {}))
    section("tensors missing", lambda x: x.pop("tensors"))
    section("header an empty object", lambda x: x.clear())

    raw = json.dumps(h).encode()
    m.append(("JSON cut short", lambda x: raw[:len(raw) // 2]))
    m.append(("JSON not an object", lambda x: b"[1, 2, 3]"))
    m.append(("JSON invalid UTF-8", lambda x: raw.replace(b'"fuzz"',
                                                          b'"\xff\xfe"', 1)
              .replace(b'"prob"', b'"\xc3"', 1)))
    m.append(("JSON with NUL", lambda x: raw[:40] + b"\0" + raw[41:]))
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert-tool", required=True)
    ap.add_argument("--load-tool", required=True)
    ap.add_argument("--score-tool", required=True)
    a = ap.parse_args()
    rng = random.Random(SEED)
    judge = fc.Judge()
    tmp = tempfile.mkdtemp(prefix="ilgnet-fuzz-model-")
    # Not on sanitizer builds (tests/run.sh --sanitize): ASan and valgrind
    # cannot share a process; ASan checks every case there instead.
    have_valgrind = shutil.which("valgrind") is not None and \
        not os.environ.get("ILGNET_SANITIZE")
    try:
        proto = os.path.join(tmp, "net.prototxt")
        open(proto, "w").write(fc.SMALL_NET)
        layers, blobs = caffe_pb.random_weights(fc.SMALL_NET, 1)
        cm = os.path.join(tmp, "net.caffemodel")
        caffe_pb.write_caffemodel(cm, layers, blobs)
        bases = {}
        for dt in ("f32", "int8", "f16"):
            bases[dt] = os.path.join(tmp, "base-%s.ilgnet" % dt)
            p = subprocess.run([a.convert_tool, proto, cm, "-o", bases[dt],
                                "--dtype", dt, "-q"], capture_output=True,
                               text=True)
            if p.returncode:
                print("FAIL: cannot make the base model: " + p.stderr)
                sys.exit(1)
        # The unmodified models load and run.
        for dt, path in bases.items():
            judge.run([a.load_tool, path], "base %s model" % dt, False)
        if judge.accepted != 3:
            print("FAIL: the unmodified models do not all load")
            sys.exit(1)

        case = os.path.join(tmp, "case.ilgnet")
        cases = []              # (description, bytes, must_fail)

        raw, header, data = split(bases["f32"])
        hlen = struct.unpack("<Q", raw[16:24])[0]
        # Truncations and extensions: the size must be exact.
        cuts = {0, 7, 8, 23, 24, 24 + hlen - 1, 24 + hlen, 24 + hlen + 1,
                len(raw) - 1, len(raw) - 64}
        cuts |= {rng.randrange(1, len(raw)) for _ in range(24)}
        for n in sorted(cuts):
            cases.append(("truncated to %d bytes" % n, raw[:n], True))
        cases.append(("one byte appended", raw + b"\0", True))
        cases.append(("64 bytes appended", raw + b"\0" * 64, True))

        # Preamble edits.
        def pre(desc, off, fmt, val):
            b = bytearray(raw)
            struct.pack_into(fmt, b, off, val)
            cases.append((desc, bytes(b), True))
        pre("magic", 0, "<8s", b"ILGNETMX")
        pre("version 0", 8, "<I", 0)
        pre("version 2", 8, "<I", 2)
        pre("unknown flag", 12, "<I", 1)
        for hl in (0, 1, hlen - 1, hlen + 1, hlen - 64, hlen + 64,
                   len(raw), 2**32, 2**63, 2**64 - 1):
            pre("header length %d" % hl, 16, "<Q", hl)

        # JSON edits that must be rejected, on the f32 and int8 models.
        for base in ("f32", "int8"):
            r, h, d = split(bases[base])
            for desc, fn in json_mutations(h, rng):
                out = fn(copy.deepcopy(h))
                blob = assemble(None, d, raw_json=out) if isinstance(
                    out, bytes) else assemble(out, d)
                cases.append(("%s: %s" % (base, desc), blob, True))
            # i8 specifics
            hh = copy.deepcopy(h)
            sc = [t for t in hh["tensors"] if t.endswith(".scales")]
            if sc:
                w = sc[0][:-len(".scales")]
                h2 = copy.deepcopy(hh)
                h2["tensors"][w]["scales"] = "nope"
                cases.append(("%s: scales unknown" % base, assemble(h2, d),
                              True))
                h2 = copy.deepcopy(hh)
                h2["tensors"][sc[0]]["shape"] = [1]
                h2["tensors"][sc[0]]["nbytes"] = 4
                cases.append(("%s: scales of the wrong length" % base,
                              assemble(h2, d), True))
                h2 = copy.deepcopy(hh)
                h2["tensors"][sc[0]]["dtype"] = "f16"
                cases.append(("%s: scales f16" % base, assemble(h2, d),
                              True))

        # Deep nesting in a free-text field: the parser must not overflow
        # its stack (accepting or rejecting are both fine).
        js = json.dumps(header).encode().replace(
            b'"description":', b'"description":' + b"[" * 20000
            + b"]" * 20000 + b',"x":', 1)
        cases.append(("JSON nested 20000 deep", assemble(None, data,
                                                          raw_json=js),
                      False))

        # Random byte flips anywhere (half in the header); may be accepted.
        for i in range(160):
            b = bytearray(raw)
            for _ in range(rng.choice((1, 1, 2, 8))):
                pos = rng.randrange(24, 24 + hlen) if i % 2 else \
                    rng.randrange(0, len(b))
                b[pos] = rng.randrange(256)
            cases.append(("random bytes #%d" % i, bytes(b), False))
        # Random JSON character edits keep the length (so H stays right).
        js = raw[24:24 + hlen]
        for i in range(60):
            b = bytearray(js)
            pos = rng.randrange(len(js.rstrip()))
            b[pos] = ord(rng.choice('{}[]:,"0123456789-.eE \\x'))
            cases.append(("JSON char edit #%d" % i, raw[:24] + bytes(b) +
                          raw[24 + hlen:], False))

        for i, (desc, blob, must_fail) in enumerate(cases):
            with open(case, "wb") as f:
                f.write(blob)
            judge.run([a.load_tool, case], desc, must_fail,
                      prefix="ilgnet-fuzz-load: ")
            # Every 10th also through the user-facing tool, and a subset
            # under valgrind (slow: a few dozen cases).
            if i % 10 == 0:
                inp = os.path.join(tmp, "in.f32")
                open(inp, "wb").write(b"\0" * (4 * 3 * 19 * 17))
                judge.run([a.score_tool, "-m", case, "--tensor", inp],
                          "ilgnet-score: " + desc, must_fail,
                          prefix="ilgnet-score: ")
            if have_valgrind and i % 45 == 5:
                judge.run([a.load_tool, case], "valgrind: " + desc,
                          must_fail, valgrind=True)
    finally:
        shutil.rmtree(tmp)
    judge.summary("fuzz-model")
    if not have_valgrind:
        print("note: valgrind not installed; memory checks skipped")
    sys.exit(1 if judge.failures else 0)


if __name__ == "__main__":
    main()
