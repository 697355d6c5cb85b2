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


def first(mask):
    """1-based first step where mask is true, or 'none'."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) + 1 if hits.size else 'none'


def gradients(a, b):
    """Per step recorded in both (--grad-steps): sum|ga - gb| / sum|gb| per tensor, as parity_replay."""
    if 'grads' not in a or 'grads' not in b:
        return
    for step in sorted(set(a['grads']) & set(b['grads'])):
        rows, zeros = [], 0
        for n in sorted(b['grads/' + step]):
            ga, gb = a[f'grads/{step}/{n}'][()].astype(np.float64), b[f'grads/{step}/{n}'][()].astype(np.float64)
            ref, diff = np.abs(gb).sum(), np.abs(ga - gb).sum()
            rows.append((0.0 if diff == 0 else diff / max(ref, 1e-300), ref, n))
            zeros += int(((ga == 0) != (gb == 0)).sum())
        rows.sort(reverse=True)
        print(f'gradients at step {int(step)}: worst relative L1 difference {rows[0][0]:.3g}, '
              f'{zeros} elements exactly 0 on one side only')
        for rel, ref, n in rows[:4]:
            print(f'  {rel:.3g}  (sum|g| {ref:.3g})  {n}')


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
        print('loss rel, steps 1-5: ' + ' '.join(f'{v:.2g}' for v in loss_rel[:5]) +
              f'; first step beyond 1e-4: {first(loss_rel > 1e-4)}, beyond 1e-3: {first(loss_rel > 1e-3)}'
              f'; first differing selection: {first(sel > 0)}')
        for n in sorted(worst, key=worst.get, reverse=True)[:8]:
            print(f'  {worst[n]:.3g}  {n}')
        if S >= 50:  # as parity_replay: chaos from rounding averages out, a bias does not
            print('loss bias per 50 steps, mean (A - B)/B [mean loss B, A]:')
            for s0 in range(0, S - 49, 50):
                w = slice(s0, s0 + 50)
                print(f'  steps {s0 + 1}-{s0 + 50}: {((la[w] - lb[w]) / lb[w]).mean():+.3g} '
                      f'[{lb[w].mean():.6f}, {la[w].mean():.6f}]')
        gradients(a, b)


if __name__ == '__main__':
    main()
