#!/usr/bin/python3
"""Exports a trained checkpoint to an .ilgnet model file the way every
Caffe model gets there: PyTorch weights (BatchNorm and the input scale
folded into the convolutions) -> prototxt + caffemodel (written by
src/tools/ilgnet_tools/caffe_pb.py) -> ilgnet-convert.

Usage:
  export.py CHECKPOINT -o OUT.ilgnet --convert PATH/TO/ilgnet-convert
            [--dtype f16] [--workdir DIR] [--name N]
  export.py --random-seed S ...   (no checkpoint: a fixed-seed random net
                                   with non-trivial BatchNorm statistics,
                                   for the export parity test)
  export.py --from-model M.ilgnet --dtype int8 -o OUT.ilgnet ...
            [--framing CELLS.npz|none]
                                  (an exported model stored again in
                                   another dtype, when its checkpoint is
                                   gone: its weights, read back widened to
                                   f32, take the same Caffe path; name,
                                   description and input are kept)
The prototxt and caffemodel are kept next to OUT (OUT minus .ilgnet plus
.prototxt / .caffemodel) unless --keep-caffe is not given and --workdir is.
"""

import argparse
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
# A script of its own: the project's Python package (src/tools/ilgnet_tools)
# is found from here, whatever PYTHONPATH says.
sys.path.insert(0, os.path.join(HERE, "..", "..", "src", "tools"))
from ilgnet_tools import caffe_pb  # noqa: E402
import net  # noqa: E402
import netdef  # noqa: E402


def load_checkpoint(path):
    st = torch.load(path, map_location="cpu")
    model = net.IlgnetNet(st.get("arch", "ilgnet-compact"), bn=True)
    # A run with weight averaging ships the average (see train.py --ema).
    model.load_state_dict(st.get("ema") or st["model"])
    model.eval()
    return model, st


def random_model(seed, arch="ilgnet-compact"):
    """A fixed-seed net whose BatchNorm layers do something (random running
    statistics and affine terms), so folding them is really tested."""
    torch.manual_seed(seed)
    model = net.IlgnetNet(arch, bn=True)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for bn in model.bns.values():
            c = bn.num_features
            bn.running_mean.copy_(torch.randn(c, generator=g) * 0.5)
            bn.running_var.copy_(torch.rand(c, generator=g) * 2 + 0.5)
            bn.weight.copy_(torch.rand(c, generator=g) + 0.5)
            bn.bias.copy_(torch.randn(c, generator=g) * 0.2)
        # Keep the two logits within a few units of each other so the
        # probabilities are not all 0 or 1 (a parity check on saturated
        # outputs would prove little).
        model.fcs[net.IlgnetNet.key("loss1/classifier_cjy")].weight.mul_(0.5)
    model.eval()
    return model


def write_caffe(model, prototxt_path, caffemodel_path):
    text = net.prototxt(model.arch, lrn=any(l["type"] == "LRN" for l in model.layer_list))
    with open(prototxt_path, "w") as f:
        f.write(text)
    layers = caffe_pb.net_layers(caffe_pb.parse_prototxt(text))
    caffe_pb.write_caffemodel(caffemodel_path, layers, model.caffe_blobs(),
                              name=model.arch)


def write_caffe_from_model(path, prototxt_path, caffemodel_path, framing=None):
    """The prototxt and caffemodel of an exported .ilgnet (its weights as
    f32, as warmstart.read_tensors gives them), with its framing branch if
    it has one, or @framing's (framing_cells.py --out) instead; returns its
    header.  Raises warmstart.ModelFileError for a file this path cannot
    reproduce."""
    import warmstart
    import framing_branch
    header, t = warmstart.read_tensors(path)
    ftext, fblobs = framing_branch.from_tensors(t)
    t = {n: v for n, v in t.items() if not n.startswith("framing/")}
    if framing == "none":
        ftext, fblobs = None, {}
    elif framing:
        fblobs, hidden, k = framing_branch.blobs(framing)
        ftext = framing_branch.prototxt(hidden, k)
    inp = header.get("input", {})
    # convert() writes this project's input settings; a file with others
    # would come out changed without a word.
    if (inp.get("channel_order") != "bgr" or inp.get("scale") != 1
            or inp.get("resize") != "squash"
            or any(abs(m - n) > 0.005 for m, n in zip(inp.get("mean", ()), net.MEAN_BGR))):
        raise warmstart.ModelFileError(
            "%s: its input (%s) is not this project's (bgr, mean %s, scale 1, "
            "squash)" % (path, json.dumps(inp), list(net.MEAN_BGR)))
    arch = header.get("architecture", "ilgnet-compact")
    kinds = {l["type"] for l in header["layers"]}
    text = net.prototxt(arch, lrn="LRN" in kinds) + (ftext or "")
    with open(prototxt_path, "w") as f:
        f.write(text)
    layers = caffe_pb.net_layers(caffe_pb.parse_prototxt(text))
    blobs = {l.name: [t[l.name + ".weight"]]
             + ([t[l.name + ".bias"]] if l.name + ".bias" in t else [])
             for l in layers if l.name + ".weight" in t}
    missing = [n for n in t if n.rsplit(".", 1)[0] not in blobs]
    if missing:
        raise warmstart.ModelFileError(
            "%s: tensors %s have no layer in the %s prototxt"
            % (path, ", ".join(missing[:3]), arch))
    blobs.update(fblobs)
    caffe_pb.write_caffemodel(caffemodel_path, layers, blobs, name=arch)
    return header


def convert(convert_bin, prototxt_path, caffemodel_path, out, dtype, name,
            description, provenance, arch):
    # the score, not a side branch's map that may come after it
    cmd = [convert_bin, prototxt_path, caffemodel_path, "-o", out,
           "--output-blob", netdef.OUTPUT_BLOB,
           "--dtype", dtype,
           "--mean-bgr", ",".join("%.2f" % m for m in net.MEAN_BGR),
           "--scale", "1", "--resize", "squash", "--strip-dropout",
           "--name", name, "--description", description,
           "--provenance", provenance, "--architecture", arch]
    subprocess.run(cmd, check=True)


def find_convert():
    top = os.path.normpath(os.path.join(HERE, "..", ".."))
    for d in sorted(os.listdir(top)):
        p = os.path.join(top, d, "src", "tools", "ilgnet-convert")
        if d.startswith("build") and os.access(p, os.X_OK):
            return p
    return "ilgnet-convert"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", nargs="?")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--random-seed", type=int)
    ap.add_argument("--from-model", metavar="M.ilgnet")
    ap.add_argument("--convert", default=None)
    ap.add_argument("--dtype", default="f16", choices=("f32", "f16", "int8"))
    ap.add_argument("--name", default=None)
    ap.add_argument("--description", default=None)
    ap.add_argument("--provenance", default=None)
    ap.add_argument("--framing", metavar="CELLS.npz",
                    help="with --from-model: add (or replace) the framing "
                    "branch trained by framing_cells.py --out; 'none' leaves "
                    "it out (the network alone)")
    ap.add_argument("--prototxt", default=None,
                    help="where to write the prototxt (default: next to OUT)")
    a = ap.parse_args()

    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    base = os.path.splitext(a.output)[0]
    prototxt_path = a.prototxt or base + ".prototxt"
    caffemodel_path = base + ".caffemodel"
    if a.from_model:
        import warmstart
        try:
            h = write_caffe_from_model(a.from_model, prototxt_path, caffemodel_path,
                                       a.framing)
        except (OSError, ValueError, KeyError, warmstart.ModelFileError) as e:
            sys.exit("export.py: %s" % e)
        arch = h.get("architecture", "ilgnet-compact")
        name = h["name"]
        description = h.get("description", "")
        provenance = "%s; stored again as %s from %s by export.py --from-model" % (
            h.get("provenance", ""), a.dtype, os.path.basename(a.from_model))
        if a.framing == "none":
            provenance += "; framing branch left out"
        elif a.framing:
            provenance += "; framing branch from framing_cells.py (%s)" % (
                os.path.basename(a.framing))
    else:
        if a.random_seed is not None:
            model = random_model(a.random_seed)
            info = "random weights, seed %d (export parity test)" % a.random_seed
        else:
            model, st = load_checkpoint(a.checkpoint)
            info = "trained by models/train/train.py, step %d" % st["step"]
        write_caffe(model, prototxt_path, caffemodel_path)
        arch = name = model.arch
        description = (
            "Degradation-aware image quality score (P(high)): %s, ILGNet topology "
            "with 7x7-pooled local heads; trained on the project's photo "
            "degradation proxy task, not on AVA." % model.arch)
        provenance = (
            "gst-ilgnet models/train (%s); BatchNorm folded into convolutions; "
            "exported via caffe_pb.py + ilgnet-convert" % info)
    convert(a.convert or find_convert(), prototxt_path, caffemodel_path,
            a.output, a.dtype, a.name or name, a.description or description,
            a.provenance or provenance, arch)
    print("wrote %s" % a.output)

if __name__ == "__main__":
    sys.exit(main())
