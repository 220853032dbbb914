"""The framing branch as Caffe layers (issue 17, run 4): what
framing_cells.py trains, written into a model file by export.py
--framing, and read back when a model that has it is stored again.

The trained network is a convolution over [inception_3b pooled 2x2 ;
inception_4a] / sd, a ReLU and a 1x1 convolution to 3 maps.  In the file
the 2x2 average pooling and the 1/sd are folded into the weights: a
convolution of kernel 2k, stride 2 on inception_3b (each tap of the k x k
kernel spread over the 2 x 2 cells it pools, a quarter each) plus a k x k
convolution on inception_4a, summed (Eltwise) -- exactly the trained
network (trained on even maps).  At an odd inception_3b size a pooling
layer and inception_4a's own pooling would disagree by a cell; the
strided convolution keeps the grids equal, its last cell half padding.  A fourth, constant output map holds
the learned weight of the box's own score (src/framing-term.c).
"""
import numpy as np

C3B, C4A = 480, 512
BLOB = "framing/cells"


def prototxt(hidden, k):
    return """
layer {
  name: "framing/c3b" type: "Convolution"
  bottom: "inception_3b/output" top: "framing/c3b"
  convolution_param { num_output: %(h)d kernel_size: %(k2)d stride: 2 pad: %(p2)d bias_term: false }
}
layer {
  name: "framing/c4a" type: "Convolution"
  bottom: "inception_4a/output" top: "framing/c4a"
  convolution_param { num_output: %(h)d kernel_size: %(k)d pad: %(p)d }
}
layer {
  name: "framing/sum" type: "Eltwise"
  bottom: "framing/c3b" bottom: "framing/c4a" top: "framing/sum"
  eltwise_param { operation: SUM }
}
layer {
  name: "framing/relu" type: "ReLU"
  bottom: "framing/sum" top: "framing/sum"
}
layer {
  name: "%(blob)s" type: "Convolution"
  bottom: "framing/sum" top: "%(blob)s"
  convolution_param { num_output: 4 kernel_size: 1 }
}
""" % dict(h=hidden, k=k, k2=2 * k, p=k // 2, p2=2 * (k // 2), blob=BLOB)


def blobs(npz):
    """{layer name: [weight, (bias)]} from framing_cells.py --out."""
    z = np.load(npz)
    w1, b1 = z["net.0.weight"].astype(np.float64), z["net.0.bias"].astype(np.float64)
    w2, b2 = z["net.2.weight"].astype(np.float64), z["net.2.bias"].astype(np.float64)
    sd = z["sd"].reshape(-1).astype(np.float64)
    h, cin, k, _ = w1.shape
    assert cin == C3B + C4A and w2.shape[0] == 3, (w1.shape, w2.shape)
    w1 = w1 / sd[None, :, None, None]
    w3b = np.repeat(np.repeat(w1[:, :C3B], 2, 2), 2, 3) / 4
    a = np.log1p(np.exp(float(z["a"]))) if bool(z["use_a"]) else 0.0
    wc = np.zeros((4, h, 1, 1))
    wc[:3] = w2
    bc = np.concatenate([b2, [a]])
    f = lambda v: v.astype(np.float32)
    return {"framing/c3b": [f(w3b)], "framing/c4a": [f(w1[:, C3B:]), f(b1)],
            BLOB: [f(wc), f(bc)]}, h, k


def from_tensors(t):
    """(prototxt text, blobs) of the branch in a model's tensors, or
    (None, {}) when it has none."""
    if "framing/c4a.weight" not in t:
        return None, {}
    w = t["framing/c4a.weight"]
    names = ("framing/c3b", "framing/c4a", BLOB)
    b = {n: [t[n + ".weight"]] + ([t[n + ".bias"]] if n + ".bias" in t else [])
         for n in names}
    return prototxt(w.shape[0], w.shape[2]), b
