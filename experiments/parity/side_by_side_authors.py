#!/usr/bin/env python3
"""Trains the authors' DTI-Sprites (monniert/dti-sprites, unchanged, imported from --ref) once and
prints one JSON line: the training-loss curve, the final-epoch loss and their own evaluation.

Part of the side-by-side parity measurement (experiments/parity/side_by_side.py, README "Side by
side"). Their code is never copied into ours: it is imported from its own checkout. What this
driver changes around it, and why, so that their trainer runs unchanged on a CPU and a small file:
  * dataset root -> --data-root (the folder `runexp data export --format authors-png` wrote), and
    the dataset class's hard-coded N (60,000) -> --n-images;
  * masks/prototypes built with expand() are made contiguous after construction, as .to('cuda')
    does in their GPU training (CPU Adam fails on aliased memory; ../shared/reference/README.md);
  * DataLoader iterators get .next() back (their evaluation calls it; removed from torch since);
  * aliases that newer libraries removed are restored under their old names: PIL's ANTIALIAS
    (= LANCZOS, Pillow 10) and scipy.signal.gaussian (= scipy.signal.windows.gaussian, SciPy 1.13);
  * kornia (their projective module's one import): ../shared/reference/refshim when present,
    else a stub that fails if called (Tetrominoes has no projective module);
  * plots, GIFs and qualitative image dumps are skipped (files only, no effect on the numbers);
  * config: n_workers 0 (their worker seeds are not used by the multi-object loader), the given
    epochs, seed and logging interval, validation off (it only logs).
Evaluation is theirs: Trainer.evaluate() (semantic scores, then ARI with eval_with_bkg True, the
tetro.yml setting), then instance_seg_quantitative_eval() once more with eval_with_bkg False, which
is their ARI-FG protocol (background pixels given to the closest layer, GT background dropped).
"""
import argparse
import json
import os
import sys
import time
import types
from pathlib import Path

SHIM = Path(__file__).resolve().parents[3] / "shared" / "reference" / "refshim"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="the authors' checkout (holds src/ and configs/)")
    ap.add_argument("--config", default="tetro.yml", help="their config file name in configs/")
    ap.add_argument("--data-root", required=True, help="folder holding <dataset>/images,masks,...")
    ap.add_argument("--n-images", type=int, required=True, help="images in the exported folder")
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--stat-interval", type=int, default=16, help="train_stat_interval")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--no-semantic", action="store_true",
                    help="skip their semantic evaluation (mACC/mIoU): eval_semantic False")
    ap.add_argument("--kornia-shim", default=str(SHIM),
                    help="folder with a kornia stand-in (their transformer imports kornia's "
                    "homography_warp; without one, a stub that fails if a projective module runs)")
    return ap.parse_args()


def install_kornia(shim):
    """kornia is imported by their transformer module for the projective transformation only."""
    if Path(shim, "kornia").exists():
        sys.path.insert(0, str(shim))
        return
    try:
        import kornia  # noqa: F401
    except ImportError:
        def homography_warp(*a, **k):
            raise NotImplementedError("no kornia: pass --kornia-shim (../shared/reference/refshim)"
                                      " for configs with projective transformations")
        sys.modules["kornia"] = types.SimpleNamespace(homography_warp=homography_warp)


def install_shims(ref_src, data_root, n_images):
    """Patches around their unchanged modules (see the module docstring); returns trainer."""
    import PIL.Image
    if not hasattr(PIL.Image, "ANTIALIAS"):
        PIL.Image.ANTIALIAS = PIL.Image.LANCZOS
    import scipy.signal
    if not hasattr(scipy.signal, "gaussian"):
        scipy.signal.gaussian = scipy.signal.windows.gaussian
    sys.path.insert(0, str(ref_src))
    import torch
    import trainer as T
    from dataset import multi_object

    multi_object._AbstractMultiObjectDataset.root = Path(data_root)
    for cls in (multi_object.TetrominoesDataset, multi_object.DSpritesGrayDataset,
                multi_object.CLEVR6Dataset):
        cls.N = n_images

    class _NextIter:
        def __init__(self, it):
            self.it = it

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.it)

        next = __next__

    class DataLoader(torch.utils.data.DataLoader):
        def __iter__(self):
            return _NextIter(super().__iter__())

    T.DataLoader = DataLoader

    get_model = T.get_model

    def contiguous_model(name):
        cls = get_model(name)

        def build(*a, **k):
            model = cls(*a, **k)
            for attr in ("mask_params", "prototype_params", "bkg_params"):
                p = getattr(model, attr, None)
                if p is not None and not p.data.is_contiguous():
                    p.data = p.data.contiguous()
            return model
        return build

    T.get_model = contiguous_model
    for name in ("save_metric_plots", "segmentation_qualitative_eval",
                 "instance_seg_qualitative_eval", "log_images"):
        setattr(T.Trainer, name, lambda self, *a, **k: None)
    return T


def derived_config(ref, name, args, out_path):
    import yaml
    with open(Path(ref) / "configs" / name) as fp:
        cfg = yaml.load(fp, Loader=yaml.FullLoader)
    t = cfg["training"]
    t["n_workers"] = 0
    t["n_epoches"] = args.epochs
    t["seed"] = args.seed
    t["train_stat_interval"] = args.stat_interval
    t["val_stat_interval"] = 10 ** 9
    t["visualizer_port"] = None
    if args.no_semantic:
        t["eval_semantic"] = False
    with open(out_path, "w") as fp:
        yaml.safe_dump(cfg, fp, sort_keys=False)
    return cfg


def read_tsv(path):
    lines = Path(path).read_text().strip().split("\n")
    names = lines[0].split("\t")
    return [dict(zip(names, map(float, ln.split("\t")))) for ln in lines[1:]]


def main():
    args = parse_args()
    if args.epochs < 2:  # their run(): start_epoch == n_epoches means "evaluate only"
        sys.exit("side_by_side_authors: --epochs must be >= 2 (their trainer only evaluates when "
                 f"n_epoches == 1), got {args.epochs}")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    torch.set_num_threads(args.threads)
    install_kornia(args.kornia_shim)
    T = install_shims(Path(args.ref) / "src", args.data_root, args.n_images)

    run_dir = Path(args.run_dir) / "run"  # their trainer copies the config into its run folder
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = Path(args.run_dir) / "config.yml"
    derived_config(args.ref, args.config, args, config_path)

    losses, reassigned = [], []
    step = T.Trainer.single_train_batch_run

    def recorded_step(self, images):  # every iteration's loss, for the last-epoch mean
        step(self, images)
        losses.append(self.train_metrics["loss"].val)
    T.Trainer.single_train_batch_run = recorded_step
    evaluate, eval_start = T.Trainer.evaluate, []

    def timed_evaluate(self):
        eval_start.append(time.time())
        evaluate(self)
    T.Trainer.evaluate = timed_evaluate
    start = time.time()
    trainer = T.Trainer(config_path, run_dir, seed=args.seed)
    reassign = trainer.model.reassign_empty_clusters

    def counted_reassign(*a, **k):
        out = reassign(*a, **k)
        reassigned.extend(out[0])
        return out
    trainer.model.reassign_empty_clusters = counted_reassign
    trainer.run(seed=args.seed)  # trains, then evaluate(): ARI with eval_with_bkg True
    seconds = {"init_train": eval_start[0] - start, "eval": time.time() - eval_start[0]}
    (run_dir / "final_seg_scores.tsv").rename(run_dir / "final_seg_scores_with_bkg.tsv")
    trainer.eval_with_bkg = False
    start = time.time()
    trainer.instance_seg_quantitative_eval()  # their ARI-FG protocol
    seconds["eval_fg"] = time.time() - start
    with_bkg = read_tsv(run_dir / "final_seg_scores_with_bkg.tsv")[0]
    fg = read_tsv(run_dir / "final_seg_scores.tsv")[0]
    semantic_file = run_dir / "final_semantic_scores.tsv"
    semantic = read_tsv(semantic_file)[0] if semantic_file.exists() else {}
    curve = [(int(r["iteration"]), r["loss"]) for r in read_tsv(trainer.train_metrics_path)]
    per_epoch = trainer.n_batches
    print(json.dumps(dict(
        side="authors", seed=args.seed, iterations=len(losses), epochs=args.epochs,
        batches_per_epoch=per_epoch, curve=curve,
        train_final_loss=sum(losses[-per_epoch:]) / per_epoch,
        ari=with_bkg["mean_ari"], ari_fg=fg["mean_ari"], loss=with_bkg["loss"],
        semantic={k: v for k, v in semantic.items() if k != "loss"},
        reassignments=len(reassigned), seconds=seconds, torch=torch.__version__,
        threads=torch.get_num_threads(), device=str(trainer.device))))


if __name__ == "__main__":
    main()
