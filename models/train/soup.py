#!/usr/bin/python3
"""Averages the weights of several checkpoints of one run or of runs that
start from one another (a "model soup"): each input contributes its averaged
weights (train.py --ema) when it has them.  The output is a checkpoint
export.py and evaluate.py read like any other.

Usage: soup.py OUT.pt IN1.pt IN2.pt [...]
"""

import sys

import torch


def soup(paths):
    states = []
    for p in paths:
        try:
            st = torch.load(p, map_location="cpu")
        except (OSError, RuntimeError, EOFError) as e:
            sys.exit("soup.py: cannot read %s: %s" % (p, e))
        states.append((st.get("ema") or st["model"], st))
    first, meta = states[0]
    for (s, _), p in zip(states[1:], paths[1:]):
        if s.keys() != first.keys() or any(s[k].shape != v.shape for k, v in first.items()):
            sys.exit("soup.py: %s is not the same network as %s" % (p, paths[0]))
    avg = {}
    for k, v in first.items():
        if v.dtype.is_floating_point:
            avg[k] = sum(s[k].double() for s, _ in states).div(len(states)).to(v.dtype)
        else:
            # BatchNorm's batch counters: not weights, nothing to average.
            avg[k] = v.clone()
    return dict(model=avg, step=meta.get("step", 0), arch=meta.get("arch", "ilgnet-compact"),
                args=dict(soup=list(paths)))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip())
    torch.save(soup(sys.argv[2:]), sys.argv[1])


if __name__ == "__main__":
    main()
