#!/usr/bin/env python3
"""Part 2's side-by-side figures (ci/gpu/run.sh), one subcommand per step of ci/gpu/plan.tsv; each
adds its section to OUT (compare.json, written atomically) and keeps its logs in LOGS.

  compare.py --out OUT --logs LOGS [--quick] authors --device D --seconds S --ref REF --work W
  compare.py --out OUT --logs LOGS [--quick] ours --device D --seconds S --bench DTI_BENCH
  compare.py --out OUT --logs LOGS [--quick] together --device D --seconds S --runexp RUNEXP
                                             --work W --runs K [-- RUNEXP_ARGS...]
  compare.py --out OUT rate [--bench-json FILE]   # Tetrominoes training img/s for planning

authors:  the authors' training step (../shared/reference/ref_perf.py on their unchanged code,
          carried in REF by ci/gpu/prepare-ref.sh) for Tetrominoes, Multi-dSprites and CLEVR6, all
          modules active, in fp32 and then tf32 (TF32 in cuBLAS and cuDNN, set through a
          sitecustomize module; their code sets neither).
ours:     dti_bench's BM_TrainStep for the same configs and state, DTI_BENCH_PRECISION fp32 and tf32.
together: one Tetrominoes `runexp train` alone, then K at once on the same device (600 iterations
          each); images/s from their progress lines, summed over the K runs.
Each part shares its --seconds among its runs; a run out of time counts as failed, not as a figure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

PROGRESS = re.compile(r"iteration (\d+)/(\d+) epoch \d+/\d+ loss [\d.eE+-]+ ([\d.]+) img/s")
# (the authors' config, BM_TrainStep setting in bench/dti_bench.cpp, our config)
CONFIGS = [("tetro", 0, "tetrominoes"), ("dsprites", 1, "multi_dsprites"), ("clevr6", 3, "clevr6")]
PRECISIONS = ["fp32", "tf32"]

# Names the authors' code (2021) uses that newer SciPy and Pillow removed (the same functions under
# their new names), and the TF32 switch, installed at start-up in the authors' processes only.
SITECUSTOMIZE = """import os
try:
    import scipy.signal, scipy.signal.windows
    if not hasattr(scipy.signal, "gaussian"):
        scipy.signal.gaussian = scipy.signal.windows.gaussian
except ImportError:
    pass
try:
    from PIL import Image
    if not hasattr(Image, "ANTIALIAS"):
        Image.ANTIALIAS = Image.LANCZOS
except ImportError:
    pass
if os.environ.get("DTI_REF_TF32") in ("0", "1"):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = os.environ["DTI_REF_TF32"] == "1"
    torch.backends.cudnn.allow_tf32 = os.environ["DTI_REF_TF32"] == "1"
"""


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save(path, section, value):
    r = load(path)
    r[section] = value
    with open(path + ".part", "w") as f:
        json.dump(r, f, indent=1)
    os.replace(path + ".part", path)


def run(cmd, seconds, log, env=None):
    """Runs cmd for at most `seconds`; returns its exit status (124 past the time), output in log."""
    with open(log, "w") as f:
        try:
            return subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT,
                                  timeout=max(1, seconds)).returncode
        except subprocess.TimeoutExpired:
            return 124


class Clock:
    """Shares what is left of a step's seconds among the runs still to come."""

    def __init__(self, seconds):
        self.end = time.time() + seconds

    def share(self, runs_left):
        return (self.end - time.time()) / max(1, runs_left)


def bench_rates(path):
    """{(setting, active, precision): images/s} of BM_TrainStep in a dti_bench JSON file."""
    out = {}
    for b in load(path).get("benchmarks", []):
        m = re.match(r"BM_TrainStep/(\d+)/(\d+)", b.get("name", ""))
        if m and b.get("items_per_second") and not b.get("error_occurred"):
            precision = (b.get("label", "") + "/fp32").split("/")[2]
            out[(int(m.group(1)), int(m.group(2)), precision)] = b["items_per_second"]
    return out


def authors(a):
    ref_perf = os.path.join(a.ref, "ref_perf.py")
    if not (os.path.exists(ref_perf) and os.path.isdir(os.path.join(a.ref, "src"))):
        return {"skipped": f"no authors' code in {a.ref} (ci/gpu/prepare-ref.sh puts it there)"}, 1
    shim = os.path.join(a.work, "refshim-site")
    os.makedirs(shim, exist_ok=True)
    with open(os.path.join(shim, "sitecustomize.py"), "w") as f:
        f.write(SITECUSTOMIZE)
    path = ":".join([os.path.join(a.ref, "src"), os.path.join(a.ref, "refshim"), shim])
    runs = [(c, p) for c in (CONFIGS[:1] if a.quick else CONFIGS) for p in PRECISIONS]
    iters = ["--warmup", "1", "--iters", "2"] if a.quick else ["--warmup", "5", "--iters", "20"]
    clock, rows = Clock(a.seconds), []
    for i, ((name, _, ours_name), precision) in enumerate(runs):
        js = os.path.join(a.logs, f"ref-{name}-{precision}.json")
        env = dict(os.environ, PYTHONPATH=path, DTI_REF_TF32="1" if precision == "tf32" else "0")
        rc = run([sys.executable, ref_perf, "--config", os.path.join(a.ref, "configs", name + ".yml"),
                  "--state", "all_active", "--device", a.device, "--threads", str(os.cpu_count()),
                  "--eval-iters", "1", "--json", js] + iters,
                 clock.share(len(runs) - i), os.path.join(a.logs, f"ref-{name}-{precision}.log"), env)
        rate = load(js).get("train_img_per_s") if rc == 0 else None
        rows.append({"config": ours_name, "precision": precision, "img_s": rate, "exit": rc})
    return {"rows": rows}, 0 if all(r["img_s"] for r in rows) else 1


def ours(a):
    settings = CONFIGS[:1] if a.quick else CONFIGS
    pattern = "^BM_TrainStep/(" + "|".join(str(s) for _, s, _ in settings) + ")/1/"  # names end in /min_time:.../real_time
    clock, rows = Clock(a.seconds), []
    for i, precision in enumerate(PRECISIONS):
        js = os.path.join(a.logs, f"bench-{precision}.json")
        env = dict(os.environ, DTI_BENCH_DEVICE=a.device, DTI_BENCH_PRECISION=precision,
                   DTI_BENCH_MIN_TIME="0.05" if a.quick else "1")
        rc = run([a.bench, "--benchmark_filter=" + pattern, "--benchmark_out=" + js,
                  "--benchmark_out_format=json"], clock.share(len(PRECISIONS) - i),
                 os.path.join(a.logs, f"bench-{precision}.log"), env)
        rates = bench_rates(js) if rc == 0 else {}
        for _, setting, name in settings:
            rows.append({"config": name, "precision": precision, "exit": rc,
                         "img_s": rates.get((setting, 1, precision))})
    return {"rows": rows}, 0 if all(r["img_s"] for r in rows) else 1


def train_runs(a, k, iterations, seconds):
    """K `runexp train` processes at once; returns (summed median img/s or None, wall seconds)."""
    procs, logs, start = [], [], time.time()
    shutil.rmtree(os.path.join(a.work, f"together{k}"), ignore_errors=True)  # a fresh run each call
    for seed in range(k):
        log = os.path.join(a.logs, f"together{k}-seed{seed}.log")
        logs.append(log)
        cmd = [a.runexp, "train", "--config", "tetrominoes", "--preset", "paper", "--device",
               a.device, "--seed", str(seed), "--data-dir", os.path.join(a.work, "data"),
               "--no-tensorboard", "--out", os.path.join(a.work, f"together{k}", str(seed)),
               "--set", f"training.max_iterations={iterations}",
               "--set", f"training.train_stat_interval={max(1, iterations // 12)}"] + a.runexp_args
        procs.append(subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT))
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=max(1, start + seconds - time.time())))
        except subprocess.TimeoutExpired:
            p.kill()
            codes.append(124)
    wall = time.time() - start
    total = 0.0
    for log in logs:
        rates = [float(m.group(3)) for m in PROGRESS.finditer(open(log).read())][1:]
        if not rates:  # no progress line after the first: no speed to report
            return None, wall, codes
        total += sorted(rates)[len(rates) // 2]
    return (total if all(c == 0 for c in codes) else None), wall, codes


def together(a):
    iterations = 6 if a.quick else 600
    k = 2 if a.quick else a.runs
    clock = Clock(a.seconds)
    one, wall1, codes1 = train_runs(a, 1, iterations, clock.share(3))  # K at once gets 2/3
    many, wallk, codesk = train_runs(a, k, iterations, clock.share(1))
    r = {"iterations": iterations, "runs": k, "one_img_s": one, "many_img_s": many,
         "one_wall_s": round(wall1, 1), "many_wall_s": round(wallk, 1), "exits": codes1 + codesk,
         "gain": many / one if one and many else None}
    return r, 0 if r["gain"] else 1


def rate(a):
    """Tetrominoes' training img/s: this run's fp32 step, else part 1's benchmark (slower state)."""
    for row in load(a.out).get("ours", {}).get("rows", []):
        if row["config"] == "tetrominoes" and row["precision"] == "fp32" and row["img_s"]:
            return row["img_s"]
    rates = [v for (s, _, p), v in bench_rates(a.bench_json or "").items() if s == 0 and p == "fp32"]
    return min(rates) if rates else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="compare.json")
    ap.add_argument("--logs", default=".")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the script on a CPU")
    sub = ap.add_subparsers(dest="what", required=True)
    for name in ("authors", "ours", "together"):
        p = sub.add_parser(name)
        p.add_argument("--device", required=True)
        p.add_argument("--seconds", type=float, required=True)
        p.add_argument("--work")
    sub.choices["authors"].add_argument("--ref", required=True)
    sub.choices["ours"].add_argument("--bench", required=True)
    sub.choices["together"].add_argument("--runexp", required=True)
    sub.choices["together"].add_argument("--runs", type=int, default=4)
    sub.choices["together"].add_argument("runexp_args", nargs="*")
    sub.add_parser("rate").add_argument("--bench-json")
    a = ap.parse_args()
    if a.what == "rate":
        r = rate(a)
        if r is None:
            return 1
        print(f"{r:.1f}")
        return 0
    result, rc = {"authors": authors, "ours": ours, "together": together}[a.what](a)
    result["device"] = a.device
    save(a.out, a.what, result)
    print(json.dumps(result, indent=1))
    return rc


if __name__ == "__main__":
    sys.exit(main())
