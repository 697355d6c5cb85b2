#!/usr/bin/env python3
"""Our training step against the authors', side by side on this machine's CPU (issue 23).

  bench/cpu_vs_authors.py [--bench build/bench/dti_bench] [--ref .ref] [--repeats 2]
                          [--precisions fp32,fp32-fused,bf16] [--threads 2] [--json OUT.json]

For Tetrominoes, Multi-dSprites and GTSRB-8 (every module active, each config's batch), runs
dti_bench's BM_TrainStep/<i>/1 and the authors' unchanged step timed by ../shared/reference/
ref_perf.py (their code in --ref, laid out by ci/gpu/prepare-ref.sh), one after the other,
--repeats times, alternating, and prints images/s (median of the repeats; in each run the
median step on both sides: theirs as their script reports it, always fp32, ours BM_TrainStep's
median_img_per_s, its mean kept in the JSON), peak RSS and the ratio, with the CPU model, thread
count and
LibTorch versions. Each of our variants gets its own column: training.precision fp32 or bf16,
with "-fused" training.encoder_norm: fused (DTI_BENCH_NORM), with "-ops" the encoder's BatchNorm
and ReLU by LibTorch's operators instead of the exact node that computes the same bits
(DTI_EXACT_NORM=0, core/norm_relu.h). Nothing else should run meanwhile:
on two cores a build beside it halves both figures.
Their side runs /usr/bin/python3 (Debian's torch, the same LibTorch 1.13 as our build) with what
their code imports: apt-get install python3-torch python3-torchvision python3-scipy
python3-sklearn.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED_REF = os.path.join(ROOT, "..", "shared", "reference")
# (the authors' config, BM_TrainStep setting of bench/dti_bench.cpp, our config)
CONFIGS = [("tetro", 0, "tetrominoes"), ("dsprites", 1, "multi_dsprites"), ("gtsrb8", 2, "gtsrb8")]


def run(cmd, env=None):
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"cpu_vs_authors: {' '.join(cmd)} failed ({done.returncode}):\n"
                 f"{done.stderr[-2000:]}")
    return done.stdout


VARIANTS = ("fp32", "bf16", "fp32-fused", "bf16-fused", "fp32-ops", "bf16-ops")


def ours(bench, setting, variant, threads):
    precision, _, norm = variant.partition("-")
    env = dict(os.environ, DTI_BENCH_PRECISION=precision,
               DTI_BENCH_NORM="fused" if norm == "fused" else "separate",
               DTI_EXACT_NORM="0" if norm == "ops" else "1",
               OMP_NUM_THREADS=str(threads))
    out = run([bench, f"--benchmark_filter=^BM_TrainStep/{setting}/1/",
               "--benchmark_format=json"], env)
    data = json.loads(out)
    b = data["benchmarks"][0]
    # The median step's images/s, as ref_perf.py reports the authors' (the mean kept beside it).
    return {"img_per_s": b.get("median_img_per_s", b["items_per_second"]),
            "mean_img_per_s": b["items_per_second"], "peak_rss_mib": b["peak_rss_MB"],
            "libtorch": data["context"].get("libtorch", "?"),
            "runtime": data["context"].get("runtime", "?")}


def theirs(ref, config, threads):
    env = dict(os.environ, PYTHONPATH=os.path.join(ref, "src") + os.pathsep +
               os.path.join(SHARED_REF, "refshim"))
    out = run(["/usr/bin/python3", os.path.join(SHARED_REF, "ref_perf.py"), "--config",
               os.path.join(ref, "configs", config + ".yml"), "--state", "all_active",
               "--threads", str(threads), "--warmup", "3", "--iters", "10", "--device", "cpu"],
              env)
    data = json.loads(out)
    return {"img_per_s": data["train_img_per_s"], "peak_rss_mib": data["peak_rss_mib"],
            "torch": data["torch"]}


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """/proc/cpuinfo's model name (lscpu's), its family and model numbers (a VM's "AMD EPYC" may be a
    Zen 3 with AVX2 only or a Zen 4 with AVX-512: the ratios differ between them) and the ISA
    flags that decide which oneDNN kernels run."""
    model, family, number, flags = "?", "?", "?", set()
    with open(cpuinfo) as f:
        for line in f:
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "model name" and model == "?":
                model = value
            elif key == "cpu family" and family == "?":
                family = value
            elif key == "model" and number == "?":
                number = value
            elif key == "flags":
                flags = set(value.split())
    wanted = ["avx2", "avx512f", "avx512_bf16", "amx_bf16"]
    return f"{model}, family {family} model {number}", [f for f in wanted if f in flags]


def range_lines(rows):
    """Each side's slowest and fastest run per config: a shared VM's runs can differ by 15% or
    more, so no one should read a ratio closer than its runs allow."""
    lines = []
    for r in rows:
        spans = [f"ours {p} {min(v['runs']):.1f}-{max(v['runs']):.1f}"
                 for p, v in r["ours"].items()]
        lines.append(f"{r['config']}: " + ", ".join(spans) +
                     f", authors {min(r['authors_runs']):.1f}-{max(r['authors_runs']):.1f}")
    return lines


def measure(args, config, setting):
    """One config: our figures per precision and the authors', alternating, median of repeats."""
    mine = {p: [] for p in args.precisions}
    theirs_runs = []
    for _ in range(args.repeats):
        for precision in args.precisions:
            mine[precision].append(ours(args.bench, setting, precision, args.threads))
        theirs_runs.append(theirs(args.ref, config, args.threads))
    their = statistics.median(x["img_per_s"] for x in theirs_runs)
    row = {"authors_img_per_s": their, "authors_runs": [x["img_per_s"] for x in theirs_runs],
           "authors_peak_rss_mib": max(x["peak_rss_mib"] for x in theirs_runs),
           "authors_torch": theirs_runs[0]["torch"], "ours": {}}
    for precision, runs in mine.items():
        value = statistics.median(x["img_per_s"] for x in runs)
        row["ours"][precision] = {"img_per_s": value, "ratio": value / their,
                                  "runs": [x["img_per_s"] for x in runs],
                                  "mean_runs": [x["mean_img_per_s"] for x in runs],
                                  "peak_rss_mib": max(x["peak_rss_mib"] for x in runs),
                                  "runtime": runs[0]["runtime"]}
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", default=os.path.join(ROOT, "build", "bench", "dti_bench"))
    p.add_argument("--ref", default=os.path.join(ROOT, ".ref"))
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--precisions", default="fp32",
                   help="ours, comma-separated: " + ", ".join(VARIANTS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()
    args.precisions = args.precisions.split(",")
    for precision in args.precisions:
        if precision not in VARIANTS:
            sys.exit(f"cpu_vs_authors: --precisions: unknown '{precision}'; valid: "
                     + ", ".join(VARIANTS))
    for path, what in [(args.bench, "dti_bench (ci/build.sh)"),
                       (os.path.join(args.ref, "configs"),
                        "the authors' code (ci/gpu/prepare-ref.sh)")]:
        if not os.path.exists(path):
            sys.exit(f"cpu_vs_authors: {path} is missing: expected {what}")
    missing = subprocess.run(
        ["/usr/bin/python3", "-c", "import torch, torchvision, scipy, sklearn"],
        capture_output=True, text=True)
    if missing.returncode != 0:
        sys.exit("cpu_vs_authors: the authors' code needs Debian's python3-torch, "
                 "python3-torchvision, python3-scipy and python3-sklearn (apt-get install them): "
                 + missing.stderr.strip().splitlines()[-1])
    model, flags = cpu_model()
    rows = []
    for config, setting, name in CONFIGS:
        row = measure(args, config, setting)
        row["config"] = name
        rows.append(row)
        print(f"{name}: " + ", ".join(f"ours {p} {v['img_per_s']:.1f} img/s ({v['ratio']:.2f}x)"
                                      for p, v in row["ours"].items()) +
              f", authors {row['authors_img_per_s']:.1f} img/s", file=sys.stderr)
    runtime = rows[0]["ours"][args.precisions[0]]["runtime"]
    print(f"CPU: {model} ({', '.join(flags)}); {args.threads} threads; ours: {runtime}; authors' "
          f"torch {rows[0]['authors_torch']} in fp32; each run's median step (both sides), "
          f"medians of {args.repeats} alternating runs")
    heads = " | ".join(f"ours {p} img/s | ratio" for p in args.precisions)
    print(f"\n| config | {heads} | authors' img/s | peak RSS ours / authors (MiB) |")
    print("|---|" + "---|---|" * len(args.precisions) + "---|---|")
    for r in rows:
        cells = " | ".join(f"{r['ours'][p]['img_per_s']:.1f} | {r['ours'][p]['ratio']:.2f}x"
                           for p in args.precisions)
        rss = r["ours"][args.precisions[0]]["peak_rss_mib"]
        print(f"| {r['config']} | {cells} | {r['authors_img_per_s']:.1f} | "
              f"{rss:.0f} / {r['authors_peak_rss_mib']:.0f} |")
    print("\nRange over the runs (img/s):")
    for line in range_lines(rows):
        print("  " + line)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"cpu": model, "flags": flags, "threads": args.threads,
                       "repeats": args.repeats, "rows": rows}, f, indent=1)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
