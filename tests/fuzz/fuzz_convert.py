#!/usr/bin/python3
"""Bad input through ilgnet-convert: prototxt syntax and semantic errors,
caffemodels that do not fit (missing layers, wrong shapes or blob counts,
other layer types, truncated or corrupt bytes, non-finite weights), bad
mean files and bad options.  Each must be one line on stderr and a
non-zero exit, never a signal, and leave no output file; syntax errors
must say LINE:COLUMN.  Random text and byte mutations (deterministic seed)
may convert, but must obey the same rules when they fail.
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import fuzz_common as fc
from ilgnet_tools import caffe_pb

SEED = 77031


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--convert-tool", required=True)
    a = ap.parse_args()
    rng = random.Random(SEED)
    judge = fc.Judge()
    tmp = tempfile.mkdtemp(prefix="ilgnet-fuzz-convert-")
    P = lambda name: os.path.join(tmp, name)  # noqa: E731
    out = P("out.ilgnet")

    # Not on sanitizer builds (tests/run.sh --sanitize): ASan and valgrind
    # cannot share a process; ASan checks every case there instead.
    have_valgrind = shutil.which("valgrind") is not None and \
        not os.environ.get("ILGNET_SANITIZE")
    counter = [0]

    def convert(proto, model, what, must_fail, *opts, pattern=None,
                output=out):
        if os.path.exists(output):
            os.unlink(output)
        cmd = [a.convert_tool, proto, model, "-o", output, "-q"] + list(opts)
        # Every 20th case also under valgrind (memory errors, not only
        # crashes).
        counter[0] += 1
        if have_valgrind and counter[0] % 20 == 3:
            judge.run(cmd, "valgrind: " + what, must_fail, valgrind=True)
            if os.path.exists(output):
                os.unlink(output)
        ok = judge.run(cmd, what, must_fail, prefix="ilgnet-convert: ")
        if not ok:
            return
        if must_fail and pattern:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               errors="replace")
            if not re.search(pattern, p.stderr):
                judge.fail(what, "message %r does not match %r"
                           % (p.stderr.strip(), pattern))
        if os.path.exists(output) and judge.cases and must_fail:
            judge.fail(what, "left an output file behind")
        for f in os.listdir(tmp):
            if ".tmp-" in f:
                judge.fail(what, "left a temporary file " + f)
                os.unlink(P(f))

    try:
        text = fc.SMALL_NET
        proto = P("net.prototxt")
        open(proto, "w").write(text)
        layers, blobs = caffe_pb.random_weights(text, 2)
        cm = P("net.caffemodel")
        caffe_pb.write_caffemodel(cm, layers, blobs)
        convert(proto, cm, "the unmodified net", False)
        if judge.accepted != 1:
            print("FAIL: the unmodified net does not convert")
            sys.exit(1)

        # ---- prototxt: syntax errors (LINE:COL in the message) ----------
        def bad_text(desc, new_text, pattern=r"\.prototxt:\d+:\d+: "):
            path = P("bad.prototxt")
            open(path, "w").write(new_text)
            convert(path, cm, "prototxt " + desc, True, pattern=pattern)

        lines = text.split("\n")
        bad_text("unterminated string", text.replace('"conv1" type',
                                                     '"conv1 type', 1))
        bad_text("missing closing brace", text.rstrip()[:-1])
        bad_text("extra closing brace", text + "}\n")
        bad_text("missing colon", text.replace('name: "fc1"', 'name "fc1"'))
        bad_text("stray brace at the top", "{\n" + text)
        bad_text("value is a brace", text.replace("num_output: 6",
                                                  "num_output: }"))
        bad_text("bad number", text.replace("num_output: 6",
                                            "num_output: 6x"))
        bad_text("negative number", text.replace("num_output: 6",
                                                 "num_output: -6"))
        bad_text("kernel 0", text.replace("kernel_size: 1",
                                          "kernel_size: 0"))
        bad_text("bias_term maybe", text.replace(
            "num_output: 2", "num_output: 2 bias_term: maybe"))
        bad_text("control byte", text.replace("Pooling", "Poo\x01ling", 1))
        bad_text("nested 10000 deep", "a " + "{ a " * 10000 + "}" * 10000)
        bad_text("name is not quoted", text.replace('name: "fc2"',
                                                    "name: fc2"))
        bad_text("layer is a scalar", "layer: 5\n" + text)
        bad_text("name not UTF-8", text.replace('name: "fc2"',
                                                'name: "fc\\377"'))

        # Odd but valid names (quotes, backslashes, UTF-8) must convert,
        # and the model must load (checked by ilgnet-convert itself).
        odd = text.replace('"fc2"', '"f\\"c\\\\2 é"')
        path = P("odd.prototxt")
        open(path, "w").write(odd)
        lay_o, blo_o = caffe_pb.random_weights(odd, 2)
        caffe_pb.write_caffemodel(P("odd.caffemodel"), lay_o, blo_o)
        before = judge.accepted
        convert(path, P("odd.caffemodel"), "names with quotes and UTF-8",
                False)
        if judge.accepted != before + 1:
            judge.fail("names with quotes and UTF-8", "not converted")

        # ---- prototxt: semantic errors ------------------------------------
        def bad_net(desc, new_text, pattern=None):
            path = P("bad.prototxt")
            open(path, "w").write(new_text)
            convert(path, cm, "prototxt " + desc, True, pattern=pattern)

        bad_net("unknown layer type", text.replace('"Dropout"', '"Foo"'),
                r"type Foo, which is not supported")
        bad_net("a V1 entry among V2 layers", text.replace(
            'layer { name: "drop" type: "Dropout"',
            'layers { name: "drop" type: DROPOUT'), r"mixes")
        bad_net("unknown V1 type", 'input: "data"\ninput_dim: 1 input_dim: 3'
                ' input_dim: 8 input_dim: 8\nlayers { name: "w" type: '
                'WINDOW_DATA bottom: "data" top: "w" }\n', r"WINDOW_DATA")
        bad_net("bottom not produced", text.replace('bottom: "flat"',
                                                    'bottom: "flatt"'),
                r"bottom 'flatt' is not produced")
        bad_net("duplicate layer name", text.replace('name: "fc2"',
                                                     'name: "fc1"'),
                r"second layer")
        bad_net("two tops", text.replace('top: "pool1"',
                                         'top: "pool1" top: "p2"'))
        bad_net("no type", text.replace('type: "LRN"', ""), r"no type")
        bad_net("Input without shape", text.replace(
            "input_param { shape { dim: 1 dim: 3 dim: 19 dim: 17 } }", ""))
        bad_net("Input with 4 channels", text.replace("dim: 3 dim: 19",
                                                      "dim: 4 dim: 19"))
        bad_net("three kernel sizes", text.replace(
            "kernel_size: 3 stride: 2 pad: 1",
            "kernel_size: 3 kernel_size: 3 kernel_size: 3"), r"2-D")
        bad_net("kernel_h without kernel_w", text.replace(
            "kernel_size: 3 stride: 2 pad: 1", "kernel_h: 3"))
        bad_net("pad_h without pad_w in pooling", text.replace(
            "kernel_size: 3 stride: 2 }", "kernel_size: 3 stride: 2 pad_h: 1"
            " }"))
        bad_net("pooling pad >= kernel", text.replace(
            "kernel_size: 3 stride: 2 }", "kernel_size: 3 stride: 2 pad: 3 }"))
        bad_net("stochastic pooling", text.replace("pool: MAX",
                                                   "pool: STOCHASTIC"))
        bad_net("kernel larger than the input", text.replace(
            "kernel_size: 3 stride: 2 pad: 1", "kernel_size: 30"),
            r"does not fit")
        bad_net("group not dividing", text.replace("group: 2", "group: 3"))
        bad_net("LRN even size", text.replace("local_size: 5",
                                              "local_size: 4"))
        bad_net("concat axis 2", text.replace(
            'top: "cat" }', 'top: "cat" concat_param { axis: 2 } }'))
        bad_net("eltwise shapes differ", text.replace(
            'bottom: "a" bottom: "b" top: "sum"',
            'bottom: "a" bottom: "pool1" top: "sum"'), r"not the shape")
        bad_net("softmax axis 0", text.replace(
            'top: "prob" }', 'top: "prob" softmax_param { axis: 0 } }'))
        bad_net("convolution in place", text.replace(
            'bottom: "norm1" top: "a"', 'bottom: "norm1" top: "norm1"'),
            r"cannot run in place")
        bad_net("ReLU in place on the input", text.replace(
            'bottom: "conv1" top: "conv1" }\nlayer { name: "pool1"',
            'bottom: "conv1" top: "conv1" }\nlayer { name: "r0" type: "ReLU"'
            ' bottom: "data" top: "data" }\nlayer { name: "pool1"'))
        bad_net("mixes layer and layers", text + 'layers { name: "x" '
                'type: RELU bottom: "prob" top: "prob" }\n', r"mixes")
        bad_net("no input", "\n".join(l for l in lines
                                      if "Input" not in l and "input_param"
                                      not in l))
        bad_net("everything TRAIN-only", text.replace(
            "layer {", "layer { include { phase: TRAIN }"))
        bad_net("empty file", "")
        bad_net("binary garbage", "".join(chr(rng.randrange(1, 256))
                                          for _ in range(300)))
        bad_net("V1 data layer", 'name: "x"\nlayers { name: "d" type: DATA '
                'top: "data" }\n', r"DATA")

        # ---- prototxt: random text mutations ------------------------------
        punct = '{}:"\'#<>[],;0-.e\n '
        for i in range(100):
            t = list(text)
            for _ in range(rng.choice((1, 1, 3))):
                pos = rng.randrange(len(t))
                op = rng.randrange(3)
                if op == 0:
                    del t[pos]
                elif op == 1:
                    t.insert(pos, rng.choice(punct))
                else:
                    t[pos] = rng.choice(punct)
            path = P("mut.prototxt")
            open(path, "w").write("".join(t))
            convert(path, cm, "prototxt mutation #%d" % i, False)

        # ---- caffemodels that do not fit ----------------------------------
        def bad_model(desc, lay, blo, pattern=None, **kw):
            path = P("bad.caffemodel")
            caffe_pb.write_caffemodel(path, lay, blo, **kw)
            convert(proto, path, "caffemodel " + desc, True, pattern=pattern)

        bad_model("missing layer fc1", [l for l in layers
                                        if l.name != "fc1"], blobs,
                  r"no weights for layer 'fc1'")
        b2 = dict(blobs)
        b2["conv1"] = [np.zeros((8, 3, 5, 5), np.float32), blobs["conv1"][1]]
        bad_model("wrong conv1 shape", layers, b2,
                  r"conv1.*8x3x5x5.*8x3x3x3")
        b2 = dict(blobs)
        b2["fc1"] = [np.zeros((6, 9), np.float32), blobs["fc1"][1]]
        bad_model("wrong fc1 shape", layers, b2, r"fc1.*6x9.*6x8")
        b2 = dict(blobs)
        b2["conv1"] = blobs["conv1"][:1]
        bad_model("conv1 without bias", layers, b2, r"1 blobs.*needs 2")
        b2 = dict(blobs)
        b2["bn1"] = blobs["bn1"][:2]
        bad_model("BatchNorm without factor", layers, b2)
        b2 = dict(blobs)
        b2["sc1"] = blobs["sc1"] + [np.zeros(8, np.float32)]
        bad_model("Scale with 3 blobs", layers, b2)
        lay2 = [caffe_pb.Layer(l.name, "Convolution" if l.name == "fc1"
                               else l.type, l.bottom, l.top, l.msg)
                for l in layers]
        bad_model("fc1 stored as a Convolution", lay2, blobs,
                  r"InnerProduct.*Convolution")
        b2 = dict(blobs)
        w = blobs["fc2"][0].copy()
        w[1, 3] = np.nan
        b2["fc2"] = [w, blobs["fc2"][1]]
        bad_model("NaN weight", layers, b2, r"non-finite")
        w = blobs["fc2"][0].copy()
        w[0, 0] = np.inf
        b2["fc2"] = [w, blobs["fc2"][1]]
        bad_model("infinite weight", layers, b2, r"non-finite")

        big = dict(blobs)
        w = blobs["fc2"][0].copy()
        w[0, 0] = 1e5
        big["fc2"] = [w, blobs["fc2"][1]]
        bigm = P("big.caffemodel")
        caffe_pb.write_caffemodel(bigm, layers, big)
        convert(proto, bigm, "weight 1e5 with --dtype f16", True, "--dtype",
                "f16", pattern=r"too large for f16")
        convert(proto, bigm, "weight 1e5 with --dtype f32", False)

        # Hand-made wire-format damage.
        raw = open(cm, "rb").read()
        open(P("empty.caffemodel"), "wb").close()
        convert(proto, P("empty.caffemodel"), "empty caffemodel", True,
                pattern=r"no layers")
        convert(proto, proto, "prototxt given as the caffemodel", True)
        convert(proto, P("missing.caffemodel"), "missing caffemodel", True)
        convert(proto, tmp, "a directory as the caffemodel", True)
        huge = caffe_pb._key(100, 2) + caffe_pb._varint(2**62) + b"xx"
        open(P("h.caffemodel"), "wb").write(huge)
        convert(proto, P("h.caffemodel"), "layer length 2^62", True,
                pattern=r"truncated or corrupt")
        badwire = caffe_pb._key(100, 7) + b"\0" * 8
        open(P("w.caffemodel"), "wb").write(badwire)
        convert(proto, P("w.caffemodel"), "wire type 7", True)
        longvar = caffe_pb._key(100, 0) + b"\xff" * 12
        open(P("v.caffemodel"), "wb").write(longvar)
        convert(proto, P("v.caffemodel"), "12-byte varint", True)
        # A blob whose data does not fill its shape.
        dims = b"".join(caffe_pb._varint(d) for d in (8, 3, 3, 3))
        shape = caffe_pb._len_field(1, len(dims)) + dims
        blob = (caffe_pb._len_field(7, len(shape)) + shape
                + caffe_pb._len_field(5, 214 * 4) + b"\0" * (214 * 4))
        layer = (caffe_pb._string(1, "conv1") + caffe_pb._string(
            2, "Convolution") + caffe_pb._len_field(7, len(blob)) + blob)
        open(P("c.caffemodel"), "wb").write(caffe_pb._len_field(
            100, len(layer)) + layer + raw)
        convert(proto, P("c.caffemodel"), "blob data shorter than its shape",
                True, pattern=r"holds 214 values")
        for i in range(16):
            n = rng.randrange(1, len(raw))
            open(P("t.caffemodel"), "wb").write(raw[:n])
            convert(proto, P("t.caffemodel"), "caffemodel cut at %d" % n,
                    n < len(raw) - 64)
        for i in range(40):
            b = bytearray(raw)
            for _ in range(rng.choice((1, 2, 6))):
                b[rng.randrange(len(b))] = rng.randrange(256)
            open(P("r.caffemodel"), "wb").write(bytes(b))
            convert(proto, P("r.caffemodel"), "caffemodel bytes #%d" % i,
                    False)

        # ---- mean files -----------------------------------------------------
        convert(proto, cm, "missing mean file", True, "--mean",
                P("nomean.npy"))
        np.save(P("m4.npy"), np.zeros(4, np.float32))
        convert(proto, cm, "mean of 4 channels", True, "--mean",
                P("m4.npy"), pattern=r"expected 3")
        np.save(P("mi.npy"), np.zeros((3, 2, 2), np.int64))
        convert(proto, cm, "int64 mean", True, "--mean", P("mi.npy"))
        np.save(P("mf.npy"), np.asfortranarray(np.zeros((3, 2, 2))))
        convert(proto, cm, "Fortran-order mean", True, "--mean", P("mf.npy"))
        good = open(P("m4.npy"), "rb").read()
        open(P("mt.npy"), "wb").write(good[:20])
        convert(proto, cm, "truncated npy", True, "--mean", P("mt.npy"))
        caffe_pb.write_blobproto(P("m2.binaryproto"),
                                 np.zeros((1, 2, 4, 4), np.float32))
        convert(proto, cm, "2-channel binaryproto", True, "--mean",
                P("m2.binaryproto"))
        open(P("mg.binaryproto"), "wb").write(bytes(rng.randrange(256)
                                                    for _ in range(100)))
        convert(proto, cm, "garbage binaryproto", True, "--mean",
                P("mg.binaryproto"))
        caffe_pb.write_blobproto(P("mn.binaryproto"),
                                 np.full((3, 2, 2), np.nan, np.float32))
        convert(proto, cm, "NaN mean", True, "--mean", P("mn.binaryproto"))

        # ---- options ----------------------------------------------------------
        for desc, opts in (
                ("--dtype f8", ["--dtype", "f8"]),
                ("--mean-bgr with two values", ["--mean-bgr", "1,2"]),
                ("--mean-bgr not numbers", ["--mean-bgr", "a,b,c"]),
                ("--mean and --mean-bgr", ["--mean-bgr", "1,2,3", "--mean",
                                           P("m4.npy")]),
                ("--scale 0", ["--scale", "0"]),
                ("--scale nan", ["--scale", "nan"]),
                ("--high-index 2", ["--high-index", "2"]),
                ("--high-index -1", ["--high-index", "-1"]),
                ("--output-blob unknown", ["--output-blob", "nope"]),
                ("--resize stretch", ["--resize", "stretch"]),
                ("unknown option", ["--frobnicate"])):
            convert(proto, cm, desc, True, *opts)
        convert(proto, cm, "output in a missing directory", True,
                output=P("no/such/dir/out.ilgnet"))
        judge.run([a.convert_tool], "no arguments", True,
                  prefix="ilgnet-convert: ")
        judge.run([a.convert_tool, proto, cm], "no -o", True,
                  prefix="ilgnet-convert: ")
    finally:
        shutil.rmtree(tmp)
    judge.summary("fuzz-convert")
    sys.exit(1 if judge.failures else 0)


if __name__ == "__main__":
    main()
