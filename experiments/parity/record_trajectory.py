#!/usr/bin/env python3
"""Records a training trajectory of the authors' DTI-Sprites code for a step-by-step comparison
with ours (issue 14; replayed by `parity_replay`, experiments/parity/TRAJECTORY.md).

It imports the authors' UNCHANGED model code (monniert/dti-sprites, commit c98a37c: `src/` on
PYTHONPATH), builds their model and optimiser from one of their configs exactly as their
trainer.py does (two parameter groups, the encoder listed once per transformation network), and
runs their training step on a fixed sequence of batches taken from one of OUR dataset files
(`runexp data generate ...`). Their trainer.py itself is not imported (it needs seaborn, pandas,
visdom); the few lines of its loop that matter are mirrored below with their line numbers.

Written to an HDF5 file (gzip, float32 except losses):
  attrs             what ran: configs, steps, steps_per_epoch, batch size, seed, torch version, ...
  init/<name>       the initial parameters and BatchNorm buffers, under OUR names and layouts
  batches/images    uint8 [S,B,H,W,3], the pixels of every batch (the replay needs no data file)
  batches/indices   int64 [S,B], the images' indices in the dataset file
  rng/torch_state   uint8 [S,N], torch's CPU generator state right before each step's forward
  rng/noise_probe   float32 [S,16], the first 16 values torch.rand(K,1,H,W) gives from that state
  steps/loss        float64 [S]; steps/selection int64 [S,L,B] (chosen sprite per layer)
  steps/sum/<name>  float64 [S,2]: sum and sum of |x| of each tensor after the step
  steps/probe/<name> float32 [S,P]: the tensor's values at probe_index/<name> after the step
  grads/<NNNNNN>/<name> float32: every parameter's full gradient at step NNNNNN (1-based, --grad-steps),
                    after backward and before the optimiser step
  checks/*          reassignment checks: iteration, layer drawn (np.random.randint), source, reassigned
Steps are 1-based in messages; row s holds step s+1.
"""
import argparse
import sys
import warnings

import numpy as np
import scipy.signal
import scipy.signal.windows

# Their tools.py calls scipy.signal.gaussian, moved to scipy.signal.windows (same function) in
# SciPy 1.13; alias it so their code runs unchanged on a current SciPy.
if not hasattr(scipy.signal, 'gaussian'):
    scipy.signal.gaussian = scipy.signal.windows.gaussian

import h5py  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

from model.dti_sprites import DTISprites  # noqa: E402  (the authors' code)
from optimizer import get_optimizer  # noqa: E402
from scheduler import get_scheduler  # noqa: E402

warnings.filterwarnings('ignore', message='optimizer contains a parameter group with duplicate')

KINDS = {'ColorModule': 'color', 'PositionModule': 'position', 'SimilarityModule': 'similarity',
         'AffineModule': 'affine', 'ProjectiveModule': 'projective', 'TPSModule': 'tps',
         'MorphologicalModule': 'morphological'}
N_NOISE_PROBES = 16


class Images(torch.utils.data.Dataset):
    """The dataset object their model's constructor reads (img_size, n_channels, items)."""

    def __init__(self, images):
        self.data = images
        self.img_size = tuple(images.shape[2:])
        self.n_channels = images.shape[1]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i], 0


def to_float(u8):
    """uint8 [N,H,W,3] -> float32 [N,3,H,W] in [0,1], x / 255 (torchvision ToTensor, ours too)."""
    return torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float().div(255)


def encoder_name(n):
    """Their mini-ResNet names (encoder.<i>...) -> ours (conv1, bn1, layer<s>.<b>...)."""
    parts = n.split('.')
    if parts[0] != 'encoder':
        raise ValueError(f'unexpected encoder tensor {n}')
    i = int(parts[1])
    if i == 0:
        return 'conv1.' + '.'.join(parts[2:])
    if i == 1:
        return 'bn1.' + '.'.join(parts[2:])
    return f'layer{i - 2}.' + '.'.join(parts[2:])


def predictor_tensors(prefix, mlps, get=lambda t: t):
    """G of their MLPs (Linear D->128, ReLU, Linear 128->128, ReLU, Linear 128->P) as our stacked
    PredictorBank tensors: w1 [D,G,H], b1 [G,H], w2 [G,H,H], b2 [G,H], w3 [G,H,P], b3 [G,P]."""
    lin = [[m for m in mlp if isinstance(m, torch.nn.Linear)] for mlp in mlps]
    if any(len(ls) != 3 for ls in lin):
        raise ValueError(f'{prefix}: expected 3 linear layers per MLP')
    return {
        prefix + '.w1': torch.stack([get(ls[0].weight).t() for ls in lin], 1),
        prefix + '.b1': torch.stack([get(ls[0].bias) for ls in lin], 0),
        prefix + '.w2': torch.stack([get(ls[1].weight).t() for ls in lin], 0),
        prefix + '.b2': torch.stack([get(ls[1].bias) for ls in lin], 0),
        prefix + '.w3': torch.stack([get(ls[2].weight).t() for ls in lin], 0),
        prefix + '.b3': torch.stack([get(ls[2].bias) for ls in lin], 0),
    }


def network_tensors(prefix, tsf, get=lambda t: t):
    """One of their PrototypeTransformationNetworks as our TransformationNetwork's tensors."""
    out = {}
    if tsf.is_identity:
        return out
    seqs = tsf.tsf_sequences
    for i, module in enumerate(seqs[0].tsf_modules):
        kind = KINDS.get(type(module).__name__)
        if kind is None:
            continue  # identity module: no predictor
        out.update(predictor_tensors(f'{prefix}.{i}_{kind}', [s.tsf_modules[i].regressor for s in seqs], get))
    return out


def grad_or_zero(t):
    return t.grad if t.grad is not None else torch.zeros_like(t)


def our_state(model, get=lambda t: t):
    """Every parameter and BatchNorm buffer of their model under our names (detached copies);
    with get=grad_or_zero, the parameters' gradients instead (no buffers)."""
    grads = get is grad_or_zero
    with torch.no_grad():
        out = {'model.sprites.appearance': get(model.prototype_params),
               'model.sprites.masks': get(model.mask_params)}
        if model.learn_backgrounds:
            out['model.backgrounds'] = get(model.bkg_params)
        for n, t in model.encoder.named_parameters():
            out['model.encoder.' + encoder_name(n)] = get(t)
        for n, t in ([] if grads else model.encoder.named_buffers()):
            out['buffer.encoder.' + encoder_name(n)] = t
        nets = {}
        for l, tsf in enumerate(model.sprite_transformers):
            nets.update(network_tensors(f'sprite_network.{l}', tsf, get))
        if model.has_layer_tsf:
            nets.update(network_tensors('layer_network', model.layer_transformer, get))
        if model.learn_backgrounds:
            nets.update(network_tensors('background_network', model.bkg_transformer, get))
        if model.pred_occlusion:
            nets.update(predictor_tensors('occlusion_predictor', [model.occ_predictor], get))
        out.update({'model.' + k: v for k, v in nets.items()})
        return {k: v.detach().clone().contiguous() for k, v in out.items()}


def build(cfg, images):
    """Their model, optimiser and scheduler, as trainer.py lines 108-147 build them."""
    kwargs = dict(cfg['model'])
    kwargs.pop('name')
    model = DTISprites(Images(images), **kwargs)
    # mask_init 'gaussian' builds the K masks from an expand()-ed tensor (one memory block); their
    # GPU training's .to('cuda') makes it contiguous, which CPU Adam needs (reference/README.md).
    for name in ['mask_params', 'prototype_params', 'bkg_params']:
        p = getattr(model, name, None)
        if p is not None and not p.data.is_contiguous():
            p.data = p.data.contiguous()
    opt_params = dict(cfg['training']['optimizer'] or {})
    opt_name = opt_params.pop('name')
    cluster_kwargs = opt_params.pop('cluster', {})
    tsf_kwargs = opt_params.pop('transformer', {})
    optimizer = get_optimizer(opt_name)([
        dict(params=model.cluster_parameters(), **cluster_kwargs),
        dict(params=model.transformer_parameters(), **tsf_kwargs)], **opt_params)
    model.set_optimizer(optimizer)
    sched = dict(cfg['training'].get('scheduler', {}) or {})
    sched_name = sched.pop('name', None)
    sched.pop('update_range', None)
    scheduler = get_scheduler(sched_name)(optimizer, **sched)
    return model, optimizer, scheduler


def gz(f, name, data):
    # Small arrays stay contiguous: a chunked dataset's index costs more than it saves.
    kw = dict(compression='gzip', compression_opts=9, shuffle=True) if np.asarray(data).size > 4096 else {}
    f.create_dataset(name, data=data, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--config', required=True, help="the authors' config, e.g. $REF/configs/tetro.yml")
    ap.add_argument('--our-config', required=True, help='our config name the replay loads (tetrominoes)')
    ap.add_argument('--data', required=True, help='our dataset file (runexp data generate ...)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=200)
    ap.add_argument('--steps-per-epoch', type=int, default=100, help='an epoch of the run, in batches')
    ap.add_argument('--batch-size', type=int, default=None, help='default: the config')
    ap.add_argument('--images', type=int, default=0, help='use the first N images (0: all)')
    ap.add_argument('--check-cluster-interval', type=int, default=None, help='default: the config')
    ap.add_argument('--set', action='append', default=[], help='model.key=value (YAML), both sides')
    ap.add_argument('--probes', type=int, default=16, help='values recorded per tensor and step')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--grad-steps', default='1',
                    help='comma-separated 1-based steps whose gradients are recorded in full ("" for none)')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    with open(args.config) as fp:
        cfg = yaml.load(fp, Loader=yaml.FullLoader)
    for kv in args.set:
        key, value = kv.split('=', 1)
        section, name = key.split('.', 1)
        cfg[section][name] = yaml.safe_load(value)
    B = args.batch_size or cfg['training']['batch_size']
    interval = args.check_cluster_interval or cfg['training']['check_cluster_interval']
    E, S = args.steps_per_epoch, args.steps

    with h5py.File(args.data, 'r') as f:
        n = args.images or f['images'].shape[0]
        pixels = f['images'][:n]
    if E * B > n:
        sys.exit(f'steps_per_epoch x batch = {E * B} images, but only {n} available: lower --steps-per-epoch')
    images = to_float(pixels)
    model, optimizer, scheduler = build(cfg, images)
    grad_steps = {int(v) for v in args.grad_steps.split(',') if v.strip()}
    L, K = model.n_objects, model.n_sprites
    if not model.estimate_minimum and (L > 1 or model.n_backgrounds > 1):
        sys.exit('exhaustive selection is recorded for one layer and at most one background only')
    H, W = images.shape[2:]
    init = our_state(model)
    names = sorted(init)
    probe_rng = np.random.RandomState(1234)
    probe_index = {k: np.sort(probe_rng.choice(init[k].numel(), min(args.probes, init[k].numel()), replace=False))
                   for k in names}
    order_rng = np.random.RandomState(args.seed + 1)
    idx = np.stack([np.random.RandomState(args.seed + 1000 + e).permutation(n)[:E * B].reshape(E, B)
                    for e in range((S + E - 1) // E)]).reshape(-1, B)[:S]
    del order_rng

    rec = {'loss': np.zeros(S), 'selection': np.zeros((S, L, B), np.int64),
           'state': [], 'noise': np.zeros((S, N_NOISE_PROBES), np.float32), 'grads': {},
           'sum': {k: np.zeros((S, 2)) for k in names}, 'probe': {k: np.zeros((S, len(probe_index[k])), np.float32)
                                                              for k in names}}
    checks = {'iteration': [], 'layer': [], 'source': [], 'reassigned': []}
    prop_sum, prop_count = None, 0
    for s in range(S):
        x = images[torch.from_numpy(idx[s])]
        state = torch.get_rng_state()
        rec['state'].append(state.numpy().copy())
        g = torch.Generator()
        g.set_state(state)
        rec['noise'][s] = torch.rand(K, 1, H, W, generator=g).flatten()[:N_NOISE_PROBES].numpy()
        # trainer.py single_train_batch_run (lines 328-351)
        model.train()
        optimizer.zero_grad()
        loss, distances = model(x)
        loss.backward()
        if s + 1 in grad_steps:  # before the step: Adam's weight decay does not touch .grad
            rec['grads'][s + 1] = our_state(model, grad_or_zero)
        optimizer.step()
        rec['loss'][s] = loss.item()
        with torch.no_grad():
            if model.estimate_minimum:  # greedy: class_prob [L,K,B]; proportions over L*K
                rec['selection'][s] = model._class_prob.argmax(1).numpy()
                proportions = (1 - distances).mean(0)
            else:  # exhaustive, L = 1 and at most one background: distances [B,K]
                chosen = distances.min(1)[1]
                rec['selection'][s] = chosen.view(1, -1).numpy()
                proportions = torch.zeros_like(distances).scatter(1, chosen[:, None], 1).mean(0)
        prop_sum = proportions.clone() if prop_sum is None else prop_sum + proportions
        prop_count += 1
        cur_iter = s + 1
        # trainer.py run() line 300 and check_cluster (lines 479-512), greedy selection, L >= 1,
        # one background: proportions [L*K] averaged since the last check, one random layer.
        if cur_iter % interval == 0:
            prop = (prop_sum / prop_count).float()
            k = np.random.randint(0, L) if L > 1 else 0
            if L > 1:
                prop = prop.view(L, K)[k]
            reassigned, src = model.reassign_empty_clusters(prop)
            mask = np.zeros(K, np.int64)
            mask[list(reassigned)] = 1
            checks['iteration'].append(cur_iter)
            checks['layer'].append(k)
            checks['source'].append(src if reassigned else -1)
            checks['reassigned'].append(mask)
            prop_sum, prop_count = None, 0
            if reassigned:
                print(f'step {cur_iter}: layer {k}, sprites {reassigned} restarted from {src}', flush=True)
        if cur_iter % E == 0:  # end of an epoch (trainer.py lines 312-314)
            model.step()
            scheduler.step()
        now = our_state(model)
        for k in names:
            t = now[k].double()
            rec['sum'][k][s] = [t.sum().item(), t.abs().sum().item()]
            rec['probe'][k][s] = now[k].flatten()[probe_index[k]].float().numpy()
        if cur_iter % 10 == 0 or cur_iter == S:
            print(f'step {cur_iter}/{S} loss {rec["loss"][s]:.6f}', flush=True)

    multiplicity = sum(1 for p in optimizer.param_groups[1]['params'] if p is next(model.encoder.parameters()))
    with h5py.File(args.out, 'w') as f:
        a = f.attrs
        text = {'generator': 'experiments/parity/record_trajectory.py',
                'reference': 'monniert/dti-sprites c98a37c', 'reference_config': args.config.split('/')[-1],
                'our_config': args.our_config, 'overrides': '\n'.join(args.set), 'torch_version': str(torch.__version__),
                'data_file': args.data.split('/')[-1]}
        for key, value in text.items():  # variable-length strings
            a[key] = str(value)
        ints = {'steps': S, 'steps_per_epoch': E, 'batch_size': B, 'check_cluster_interval': interval,
                'seed': args.seed, 'threads': args.threads, 'encoder_multiplicity': multiplicity,
                'n_layers': L, 'n_sprites': K}
        for key, value in ints.items():
            a[key] = np.int64(value)
        for k in names:
            gz(f, 'init/' + k, init[k].numpy())
            gz(f, 'probe_index/' + k, probe_index[k].astype(np.int64))
            gz(f, 'steps/sum/' + k, rec['sum'][k])
            gz(f, 'steps/probe/' + k, rec['probe'][k])
        gz(f, 'batches/images', pixels[idx])
        gz(f, 'batches/indices', idx.astype(np.int64))
        gz(f, 'rng/torch_state', np.stack(rec['state']))
        gz(f, 'rng/noise_probe', rec['noise'])
        gz(f, 'steps/loss', rec['loss'])
        gz(f, 'steps/selection', rec['selection'])
        for step, grads in rec['grads'].items():
            for k, g in grads.items():
                gz(f, f'grads/{step:06d}/' + k, g.float().numpy())
        gz(f, 'checks/iteration', np.array(checks['iteration'], np.int64))
        gz(f, 'checks/layer', np.array(checks['layer'], np.int64))
        gz(f, 'checks/source', np.array(checks['source'], np.int64))
        gz(f, 'checks/reassigned', np.array(checks['reassigned'], np.int64).reshape(-1, K))
    print(f'wrote {args.out}: {S} steps, {len(names)} tensors, encoder x{multiplicity} in the optimiser')


if __name__ == '__main__':
    main()
