"""gst-ilgnet's Python helpers, one importable package.

    from ilgnet_tools import caffe_pb

Modules:

* ``caffe_pb`` -- Caffe prototxt/caffemodel I/O with numpy only (parse,
  shapes, random weights, write/read caffemodels); also a command line:
  ``python3 src/tools/ilgnet_tools/caffe_pb.py random|dump ...``.

How it is found: the package lives in src/tools/, beside the scripts that
use it (src/tools/bench-vs-opencv.py imports it with no setting, since
Python puts a script's own directory on its path).  The tests get it, with
the training code of models/train, through PYTHONPATH, set once in
tests/meson.build (``test_pythonpath``); models/train/export.py, a script
of its own, adds src/tools itself.  Elsewhere: PYTHONPATH=src/tools.
"""
