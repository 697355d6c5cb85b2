#!/usr/bin/env python3
"""Side-by-side learning parity: trains the authors' DTI-Sprites and ours on the same data file with
the same config and length, several seeds each, and prints both distributions side by side (final
ARI-FG / ARI / mACC / mIoU / evaluation loss / last-epoch training loss, and the training-loss curve
at matching iterations) as Markdown. Issue 10 item 8; experiments/parity/README.md "Side by side".

  nice -n 10 python3 experiments/parity/side_by_side.py --ref /tmp/sbs/ref \
      --python "$(ci/install-torch.sh --python)" --work /tmp/sbs/run \
      --images 1024 --epochs 10 --seeds 0 1 2 --threads 2 --md out.md

Steps: `runexp data generate tetrominoes` (or --data FILE), `runexp data export --format
authors-png`, then per seed `runexp train --config tetrominoes` (our store gives the metrics) and
side_by_side_authors.py (their trainer and their evaluation, imported from --ref, unchanged).
Both sides: the paper's Tetrominoes config, batch 32, every image of the file for training, the
first 320 for evaluation, training stopped after --epochs epochs (the learning-rate milestones of
the paper's schedule, epochs 100 and 200, are not reached by short runs on either side). Results
are cached per run in --work (result.json); delete a run's folder to redo it.
"""
import argparse
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
METRICS = [("ari_fg", "ARI-FG (%)", 100), ("ari", "ARI (%)", 100), ("macc", "mACC (%)", 100),
           ("miou", "mIoU (%)", 100), ("loss", "evaluation loss", 1),
           ("train_final_loss", "training loss, last epoch", 1)]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="the authors' checkout (src/, configs/)")
    ap.add_argument("--python", required=True, help="python with torch, torchvision, numpy, scipy, "
                    "scikit-learn, pyyaml, pandas, seaborn, pillow (for their code)")
    ap.add_argument("--runexp", default=str(REPO / "build/experiments/runexp"))
    ap.add_argument("--work", required=True, help="folder for data, runs and cached results")
    ap.add_argument("--data", help="our dataset file to use (default: generate tetrominoes)")
    ap.add_argument("--images", type=int, default=1024, help="images to generate")
    ap.add_argument("--data-seed", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--stat-interval", type=int, default=0, help="iterations per curve point "
                    "(0 = one epoch)")
    ap.add_argument("--device", default="cpu", help="ours: cpu|cuda (theirs: cuda when visible)")
    ap.add_argument("--sides", default="ours,authors")
    ap.add_argument("--no-semantic", action="store_true", help="skip the authors' semantic "
                    "evaluation (their mACC/mIoU; it costs as much as the ARI evaluation)")
    ap.add_argument("--md", help="also write the Markdown here")
    ap.add_argument("--report-only", action="store_true",
                    help="print the table from the cached runs in --work; run nothing")
    return ap.parse_args()


def run(cmd, log_path, env=None):
    """Runs cmd, output to log_path; returns (stdout, seconds); exits with the log's tail."""
    start = time.time()
    with open(log_path, "w") as log:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    with open(log_path, "a") as log:
        log.write(proc.stdout)
    if proc.returncode != 0:
        tail = Path(log_path).read_text()[-3000:]
        sys.exit(f"side_by_side: {' '.join(map(str, cmd))} failed ({proc.returncode}):\n{tail}")
    return proc.stdout, time.time() - start


def dataset(args, work):
    """Our data file and its authors-png export; returns (file, export root, image count)."""
    data_dir = work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    file = data_dir / "side_by_side.h5"
    if args.data:
        if not file.exists():
            file.symlink_to(Path(args.data).resolve())
    elif not file.exists():
        run([args.runexp, "data", "generate", "tetrominoes", "--n", str(args.images), "--seed",
             str(args.data_seed), "--out", str(file), "-q"], work / "generate.log")
    root = work / "authors_data"
    if not (root / "tetrominoes").exists() and ("authors" in args.sides or args.data):
        run([args.runexp, "data", "export", "--format", "authors-png", "--input", str(file),
             "--out", str(root), "-q"], work / "export.log")
    if not (root / "tetrominoes").exists():  # ours only, on a generated file
        return file, root, args.images
    count = len(list((root / "tetrominoes" / "images").glob("*.png")))
    return file, root, count


def ours(args, work, file, count, seed, per_epoch, interval):
    out = work / "ours" / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    iterations = args.epochs * per_epoch
    cmd = [args.runexp, "train", "--config", "tetrominoes", "--seed", str(seed), "--data-dir",
           str(file.parent), "--out", str(out), "--threads", str(args.threads), "--device",
           args.device, "--quiet", "--set", f"dataset.file={file.name}",
           "--set", f"dataset.n_images={count}", "--set", "dataset.eval_images=320",
           "--set", f"training.max_iterations={iterations}",
           "--set", f"training.train_stat_interval={interval}"]
    _, seconds = run(cmd, out / "train.log")
    db = sqlite3.connect(out / "results.sqlite")
    (run_id, iters, libtorch, code), = db.execute(
        "select id, iterations, libtorch_version, code_version from runs where "
        "status='finished' order by id desc limit 1")
    finals = dict(db.execute("select name, value from metrics where run_id=? and iteration is "
                             "null", (run_id,)))
    curve = db.execute("select iteration, value from metrics where run_id=? and "
                       "name='train_loss' and iteration is not null order by iteration",
                       (run_id,)).fetchall()
    return dict(side="ours", seed=seed, iterations=iters, curve=curve, seconds=seconds,
                libtorch=f"LibTorch {libtorch}, code {code}",
                **{k: finals[k] for k, _, _ in METRICS if k in finals},
                cmd=" ".join(cmd))


def authors(args, work, root, count, seed, interval):
    out = work / "authors" / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    cmd = [args.python, str(HERE / "side_by_side_authors.py"), "--ref", args.ref, "--data-root",
           str(root), "--n-images", str(count), "--epochs", str(args.epochs), "--seed", str(seed),
           "--stat-interval", str(interval), "--threads", str(args.threads), "--run-dir",
           str(out)] + (["--no-semantic"] if args.no_semantic else [])
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), PYTHONWARNINGS="ignore")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see main()
    stdout, seconds = run(cmd, out / "driver.log", env)
    result = json.loads(stdout.strip().split("\n")[-1])
    if result["semantic"]:
        result.update(macc=result["semantic"]["avg_acc"], miou=result["semantic"]["avg_iou"])
    result.update(wall_seconds=seconds, cmd=" ".join(cmd))
    return result


def cached(path, make):
    if path.exists():
        return json.loads(path.read_text())
    load_before = os.getloadavg()
    result = make()
    result["load_before"], result["load_after"] = load_before, os.getloadavg()
    path.write_text(json.dumps(result))
    return result


def spread(values, scale):
    values = [v * scale for v in values]
    if not values:
        return "–"
    digits = 1 if scale == 100 else 4
    if len(values) == 1:
        return f"{values[0]:.{digits}f} (one seed)"
    mean, std = statistics.mean(values), statistics.stdev(values)
    each = ", ".join(f"{v:.{digits}f}" for v in values)
    return f"{mean:.{digits}f} ± {std:.{digits}f} ({each})"


def phases(seconds):
    """The authors' driver's timings: set-up and training, then the two evaluations."""
    return (f" (set-up and training {seconds['init_train']:.0f} s, ARI evaluation "
            f"{seconds['eval']:.0f} s, ARI-FG evaluation {seconds['eval_fg']:.0f} s)")


def markdown(results, args, count, per_epoch, interval):
    by = {side: [r for r in results if r["side"] == side] for side in ("ours", "authors")}
    seeds = {side: " ".join(str(r["seed"]) for r in rs) or "none" for side, rs in by.items()}
    lines = [f"Tetrominoes, {count} images, batch 32, {args.epochs} epochs = "
             f"{args.epochs * per_epoch} iterations, {args.threads} threads; seeds: ours "
             f"{seeds['ours']}, authors' {seeds['authors']}; evaluation on the first 320 images. "
             "Mean ± std over seeds (each seed's value).", "",
             "| | ours | authors' | ours − authors' |", "|---|---|---|---|"]
    for key, label, scale in METRICS:
        a = [r[key] for r in by["ours"] if key in r]
        b = [r[key] for r in by["authors"] if key in r]
        diff = (f"{(statistics.mean(a) - statistics.mean(b)) * scale:+.{1 if scale == 100 else 4}f}"
                if a and b else "–")
        lines.append(f"| {label} | {spread(a, scale)} | {spread(b, scale)} | {diff} |")
    lines += ["", f"Training loss, mean over each {interval} iterations, at matching iterations:",
              "", "| iteration | ours | authors' |", "|---|---|---|"]
    curves = {side: [dict(map(tuple, r["curve"])) for r in rs] for side, rs in by.items()}
    its = sorted({it for side in curves.values() for c in side for it in c})
    for it in its:
        cells = [spread([c[it] for c in curves[side] if it in c], 1)
                 for side in ("ours", "authors")]
        lines.append(f"| {it} | {cells[0]} | {cells[1]} |")
    reassign = [r.get("reassignments") for r in by["authors"]]
    lines += ["", f"Authors' empty-sprite reassignments per run: {reassign}."]
    for side, rs in by.items():
        for r in rs:
            secs = r.get("wall_seconds", r["seconds"])
            lines.append(f"- {side} seed {r['seed']}: {r['iterations']} iterations, {secs:.0f} s "
                         f"wall, load {r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}, "
                         f"{r.get('libtorch') or 'torch ' + r.get('torch', '?')}"
                         f"{phases(r['seconds']) if side == 'authors' else ''}")
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    # Both sides: OpenMP threads sleep instead of spinning while they wait; on a shared machine
    # spinning wastes most of the CPU time (README: 56 vs 15 img/s under the same load).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        file, root = work / "data" / "side_by_side.h5", work / "authors_data"
        images = root / "tetrominoes" / "images"
        count = len(list(images.glob("*.png"))) if images.exists() else args.images
    else:
        file, root, count = dataset(args, work)
    per_epoch = math.ceil(count / 32)
    interval = args.stat_interval or per_epoch
    results = []
    for seed in args.seeds:
        for side in args.sides.split(","):
            folder = work / side / f"seed{seed}"
            if args.report_only:
                if (folder / "result.json").exists():
                    results.append(json.loads((folder / "result.json").read_text()))
                continue
            folder.mkdir(parents=True, exist_ok=True)
            if side == "ours":
                def make():
                    return ours(args, work, file, count, seed, per_epoch, interval)
            else:
                def make():
                    return authors(args, work, root, count, seed, interval)
            r = cached(folder / "result.json", make)
            print(f"{side} seed {seed}: ARI-FG {r['ari_fg'] * 100:.1f} ARI {r['ari'] * 100:.1f} "
                  f"loss {r['loss']:.4f}", file=sys.stderr, flush=True)
            results.append(r)
    (work / "results.json").write_text(json.dumps(results, indent=1))
    text = markdown(results, args, count, per_epoch, interval)
    print(text)
    if args.md:
        Path(args.md).write_text(text)


if __name__ == "__main__":
    main()
