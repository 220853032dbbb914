"""Shared by the fuzz tests: a small net using most layer types, running a
command on a bad input and judging the outcome."""

import os
import subprocess


SMALL_NET = """
name: "fuzz"
layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 19 dim: 17 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "sc1" type: "Scale" bottom: "conv1" top: "conv1"
  scale_param { bias_term: true } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "norm1" type: "LRN" bottom: "pool1" top: "norm1"
  lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
layer { name: "a" type: "Convolution" bottom: "norm1" top: "a"
  convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "b" type: "Convolution" bottom: "norm1" top: "b"
  convolution_param { num_output: 4 kernel_size: 3 pad: 1 group: 2 } }
layer { name: "prelu_b" type: "PReLU" bottom: "b" top: "b" }
layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" }
layer { name: "cat" type: "Concat" bottom: "a" bottom: "sum" top: "cat" }
layer { name: "gpool" type: "Pooling" bottom: "cat" top: "gpool"
  pooling_param { pool: AVE global_pooling: true } }
layer { name: "flat" type: "Flatten" bottom: "gpool" top: "flat" }
layer { name: "fc1" type: "InnerProduct" bottom: "flat" top: "fc1"
  inner_product_param { num_output: 6 } }
layer { name: "drop" type: "Dropout" bottom: "fc1" top: "fc1" }
layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2"
  inner_product_param { num_output: 2 } }
layer { name: "prob" type: "Softmax" bottom: "fc2" top: "prob" }
"""


class Judge:
    """Runs bad inputs through a tool: the tool must exit normally; when it
    fails it must print exactly one non-empty line on stderr; when the input
    is certainly bad it must fail."""

    def __init__(self):
        self.cases = self.accepted = self.failures = 0

    def run(self, cmd, what, must_fail, prefix=None, valgrind=False):
        cmd = [str(c) for c in cmd]
        if valgrind:
            cmd = ["valgrind", "-q", "--error-exitcode=99",
                   "--leak-check=no"] + cmd
        try:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=60, errors="replace")
        except subprocess.TimeoutExpired:
            return self.fail(what, "timed out")
        self.cases += 1
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode < 0:
            return self.fail(what, "killed by signal %d" % -p.returncode)
        if valgrind and p.returncode == 99:
            return self.fail(what, "valgrind: " + p.stderr[:2000])
        if os.environ.get("ILGNET_FUZZ_VERBOSE"):
            print("  [%d] %s: %s" % (p.returncode, what,
                                     lines[0] if lines else ""))
        if p.returncode == 0:
            if must_fail:
                return self.fail(what, "accepted a bad input")
            self.accepted += 1
            return True
        if len(lines) != 1 or len(p.stderr.splitlines()) != 1:
            return self.fail(what, "exit %d with %d stderr lines: %r"
                             % (p.returncode, len(lines), p.stderr[:500]))
        if prefix and not lines[0].startswith(prefix):
            return self.fail(what, "error line lacks %r: %r" % (prefix,
                                                                 lines[0]))
        return True

    def fail(self, what, why):
        self.failures += 1
        print("FAIL: %s: %s" % (what, why))
        return False

    def summary(self, name):
        print("%s: %d cases, %d accepted, %d failures"
              % (name, self.cases, self.accepted, self.failures))
