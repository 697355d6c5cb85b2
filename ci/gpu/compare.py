#!/usr/bin/env python3
"""The side-by-side figures of the GPU issue, in one process run by ci/gpu/run.sh (step 6).

  compare.py --runexp BIN --bench BIN --work DIR --out DIR --device cuda|cpu [--ref DIR] [--quick]

1. Authors' training step: ../shared/reference/ref_perf.py (carried in REF with their src/ and
   configs/, see ci/gpu/README.md) per config and state, on this device, beside our dti_bench's
   BM_TrainStep from the same run (bench.json): images/s and the ratio ours / theirs.
2. Precision: BM_TrainStep on Tetrominoes with DTI_BENCH_PRECISION fp32, tf32, bf16.
3. Seeds at once: `runexp train` of one Tetrominoes seed alone, then five seeds as five processes
   at once on the same device; images/s from their progress lines (the median after the first).
Writes OUT/compare.json and OUT/compare.md; each part that cannot run says why in both.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

PROGRESS = re.compile(r"iteration (\d+)/(\d+) epoch \d+/\d+ loss [\d.eE+-]+ ([\d.]+) img/s")
# The authors' config file per BM_TrainStep setting (bench/dti_bench.cpp kSettings order).
REF_CONFIGS = [("tetro", 0, "tetrominoes"), ("dsprites", 1, "multi_dsprites"),
               ("gtsrb8", 2, "gtsrb8"), ("clevr6", 3, "clevr6")]


def run(cmd, env=None, timeout=600, log=None):
    start = time.time()
    p = subprocess.run(cmd, env=env, timeout=timeout, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if log:
        with open(log, "w") as f:
            f.write(p.stdout)
    return p.returncode, p.stdout, time.time() - start


def bench_rates(path):
    """{(setting, active, precision): images/s} of BM_TrainStep in a dti_bench JSON file."""
    if not os.path.exists(path):
        return {}
    out = {}
    for b in json.load(open(path)).get("benchmarks", []):
        m = re.match(r"BM_TrainStep/(\d+)/(\d+)", b.get("name", ""))
        if m and b.get("items_per_second"):
            precision = (b.get("label", "") + "/fp32").split("/")[2]
            out[(int(m.group(1)), int(m.group(2)), precision)] = b["items_per_second"]
    return out


# Names the authors' code (2021) uses that newer SciPy and Pillow removed: the same functions under
# their new names, installed at interpreter start-up for the authors' processes only.
COMPAT = """try:
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
"""


def authors(a, ours):
    ref_perf = os.path.join(a.ref, "ref_perf.py")
    if not (os.path.exists(ref_perf) and os.path.isdir(os.path.join(a.ref, "src"))):
        return {"skipped": f"no authors' code in {a.ref} (ci/gpu/README.md: prepare.sh --ref)"}
    rows = []
    compat = os.path.join(a.work, "refcompat")
    os.makedirs(compat, exist_ok=True)
    with open(os.path.join(compat, "sitecustomize.py"), "w") as f:
        f.write(COMPAT)
    env = dict(os.environ, PYTHONPATH=":".join(
        [os.path.join(a.ref, "src"), os.path.join(a.ref, "refshim"), compat]))
    configs = REF_CONFIGS[:1] if a.quick else REF_CONFIGS
    for name, setting, ours_name in configs:
        for state, active in (("as_constructed", 0), ("all_active", 1)):
            js = os.path.join(a.out, f"ref-{name}-{state}.json")
            iters = ["--warmup", "1", "--iters", "2"] if a.quick else ["--warmup", "5", "--iters", "30"]
            rc, text, _ = run([sys.executable, ref_perf, "--config",
                               os.path.join(a.ref, "configs", name + ".yml"), "--state", state,
                               "--device", a.device, "--threads", str(os.cpu_count()),
                               "--eval-iters", "1", "--json", js] + iters, env=env,
                              log=os.path.join(a.out, f"ref-{name}-{state}.log"))
            theirs = json.load(open(js)).get("train_img_per_s") if rc == 0 and os.path.exists(js) else None
            mine = ours.get((setting, active, "fp32"))
            rows.append({"config": ours_name, "state": "active" if active else "initial",
                         "ours_img_s": mine, "authors_img_s": theirs,
                         "ratio": mine / theirs if mine and theirs else None,
                         "authors_error": None if rc == 0 else text[-400:]})
    return {"rows": rows}


def precision(a):
    rows = []
    for p in ("fp32", "tf32", "bf16"):
        js = os.path.join(a.out, f"bench-{p}.json")
        env = dict(os.environ, DTI_BENCH_DEVICE=a.device, DTI_BENCH_PRECISION=p)
        rc, text, _ = run([a.bench, "--benchmark_filter=BM_TrainStep/0/1",
                           "--benchmark_min_time=" + ("0.01" if a.quick else "2"),
                           "--benchmark_out=" + js, "--benchmark_out_format=json"], env=env,
                          log=os.path.join(a.out, f"bench-{p}.log"))
        rate = bench_rates(js).get((0, 1, p)) if rc == 0 else None
        rows.append({"precision": p, "img_s": rate, "error": None if rc == 0 else text[-400:]})
    return {"rows": rows}


def train(a, seeds, iterations):
    """Starts one `runexp train` per seed at once; returns (summed median img/s, wall seconds)."""
    procs, logs = [], []
    start = time.time()
    for s in seeds:
        log = os.path.join(a.out, f"seeds{len(seeds)}-{s}.log")
        logs.append(log)
        cmd = [a.runexp, "train", "--config", "tetrominoes", "--device", a.device, "--seed", str(s),
               "--data-dir", os.path.join(a.work, "data"), "--no-tensorboard",
               "--out", os.path.join(a.work, f"seeds{len(seeds)}", str(s)),
               "--set", f"training.max_iterations={iterations}",
               "--set", f"training.train_stat_interval={max(1, iterations // 10)}"]
        if a.quick:
            cmd += ["--preset", "smoke"]
        procs.append(subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT))
    codes = [p.wait() for p in procs]
    wall = time.time() - start
    total = 0.0
    for log in logs:
        rates = [float(m.group(3)) for m in PROGRESS.finditer(open(log).read())][1:]
        total += sorted(rates)[len(rates) // 2] if rates else 0.0
    return (total if all(c == 0 for c in codes) else None), wall


def seeds(a):
    iterations = 20 if a.quick else 1500
    many = [0, 1] if a.quick else [0, 1, 2, 3, 4]  # --quick: checks the script, in seconds
    one, wall1 = train(a, [0], iterations)
    five, wall5 = train(a, many, iterations)
    return {"iterations": iterations, "seeds": len(many), "one_img_s": one, "five_img_s": five,
            "one_wall_s": wall1, "five_wall_s": wall5,
            "gain": five / one if one and five else None}


def fmt(x, spec="{:.1f}"):
    return "—" if x is None else spec.format(x)


def markdown(r):
    lines = [f"# Side by side on {r['device']}", ""]
    a = r["authors"]
    lines.append("## Training step, ours vs the authors' code (images/s)")
    if "skipped" in a:
        lines.append(f"skipped: {a['skipped']}")
    else:
        lines += ["", "| config | modules | ours | authors' | ours / authors' |", "|---|---|---|---|---|"]
        for x in a["rows"]:
            lines.append(f"| {x['config']} | {x['state']} | {fmt(x['ours_img_s'])} | "
                         f"{fmt(x['authors_img_s'])} | {fmt(x['ratio'], '{:.1f}×')} |")
        errors = [x for x in a["rows"] if x["authors_error"]]
        if errors:
            lines += ["", f"authors' code failed on {len(errors)} of {len(a['rows'])} (compare.json, ref-*.log)"]
    lines += ["", "## Precision (Tetrominoes, all modules active, images/s)", "",
              "| training.precision | images/s |", "|---|---|"]
    for x in r["precision"]["rows"]:
        lines.append(f"| {x['precision']} | {fmt(x['img_s'])} |")
    s = r["seeds"]
    lines += ["", f"## Seeds at once (Tetrominoes, {s['iterations']} iterations each)", "",
              f"- one seed alone: {fmt(s['one_img_s'])} img/s ({s['one_wall_s']:.0f} s)",
              f"- {s['seeds']} seeds as {s['seeds']} processes: {fmt(s['five_img_s'])} img/s in all "
              f"({s['five_wall_s']:.0f} s), {fmt(s['gain'], '{:.2f}×')} one seed's"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runexp", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", required=True)
    ap.add_argument("--ref", default=".ref")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the script on a CPU")
    a = ap.parse_args()
    ours = bench_rates(os.path.join(a.out, "bench.json"))
    r = {"device": a.device, "authors": authors(a, ours), "precision": precision(a), "seeds": seeds(a)}
    json.dump(r, open(os.path.join(a.out, "compare.json"), "w"), indent=1)
    open(os.path.join(a.out, "compare.md"), "w").write(markdown(r))
    print(markdown(r))
    ok = r["seeds"]["one_img_s"] is not None and all(x["img_s"] for x in r["precision"]["rows"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
