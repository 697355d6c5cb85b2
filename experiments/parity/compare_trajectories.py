#!/usr/bin/env python3
"""Compares two trajectories recorded by record_trajectory.py from the same state and batches (e.g.
the authors' code on 1 and on 2 threads), with the same measures as parity_replay: the floor of
float32 rounding differences that the authors' own code shows (issue 14, TRAJECTORY.md).

  python3 compare_trajectories.py A.h5 B.h5      # B is the reference of the relative differences
"""
import sys

import h5py
import numpy as np


def tensor_rel(a, b, name, s):
    """max(|d sum|, |d sum|x||)/sum|x| and max|d probe|/mean|x|, b as reference (parity_replay)."""
    sa, sb = a['steps/sum/' + name][s], b['steps/sum/' + name][s]
    scale = max(sb[1], 1e-30)
    rel = max(abs(sa[0] - sb[0]), abs(sa[1] - sb[1])) / scale
    n = a['init/' + name].size
    pa, pb = a['steps/probe/' + name][s].astype(np.float64), b['steps/probe/' + name][s].astype(np.float64)
    return max(rel, np.abs(pa - pb).max() / max(sb[1] / n, 1e-30))


def is_norm(name):
    return '.bn' in name or 'downsample.1' in name


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with h5py.File(sys.argv[1], 'r') as a, h5py.File(sys.argv[2], 'r') as b:
        S = min(a.attrs['steps'], b.attrs['steps'])
        la, lb = a['steps/loss'][:S], b['steps/loss'][:S]
        loss_rel = np.abs(la - lb) / np.abs(lb)
        sel = (a['steps/selection'][:S] != b['steps/selection'][:S]).reshape(S, -1).sum(1)
        names = sorted(a['init'].keys())
        worst = {n: max(tensor_rel(a, b, n, s) for s in range(S)) for n in names}
        norm = max(v for n, v in worst.items() if is_norm(n))
        other = max(v for n, v in worst.items() if not is_norm(n))
        print(f'{S} steps: loss max rel {loss_rel.max():.3g}; steps with differing selections '
              f'{int((sel > 0).sum())}; tensors max rel: BatchNorm weights/biases {norm:.3g}, '
              f'all others {other:.3g}')
        for n in sorted(worst, key=worst.get, reverse=True)[:8]:
            print(f'  {worst[n]:.3g}  {n}')


if __name__ == '__main__':
    main()
