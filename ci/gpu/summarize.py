#!/usr/bin/env python3
"""Summary of a ci/gpu/run.sh run: OUT/summary.json and OUT/summary.md from the step record and
the logs in OUT (ctest.log, bench.json, train.log). Standard library only.

  summarize.py --state STEPS.tsv --out OUT [--train-seconds N]
  summarize.py --train-rate OUT/bench.json   # prints the Tetrominoes training img/s of a benchmark
"""
import argparse
import json
import os
import re
import sys

TEST_LINE = re.compile(
    r"Test\s+#(\d+):\s+(\S+)\s+\.*\s*(?:\*\*\*)?\s*(Passed|Failed|Skipped|Timeout|Not Run|Exception)"
    r"(?:.*?)\s+([\d.]+)\s+sec")
NOT_RUN = re.compile(r"^\s*\d+\s+-\s+(\S+)\s+\((Skipped|Disabled|Not Run|Failed|Timeout)\)")
FINISHED = re.compile(r"^(\S+) seed (\d+): (\S[^(]*?)(?: \((.*)\))?$")
PROGRESS = re.compile(r"iteration (\d+)/(\d+) epoch (\d+)/(\d+) loss ([\d.eE+-]+) ([\d.]+) img/s")


def read_state(path):
    state, steps = {}, {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                if key.startswith("step."):
                    rc, seconds = (value.split() + ["", ""])[:2]
                    steps[key[5:]] = {"status": "ok" if rc == "0" else f"failed (exit {rc})",
                                      "exit": int(rc) if rc.lstrip("-").isdigit() else None,
                                      "seconds": int(seconds) if seconds.isdigit() else None}
                else:
                    state[key] = value
    return state, steps


def parse_ctest(path):
    if not os.path.exists(path):
        return None
    tests = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for m in TEST_LINE.finditer(text):
        tests[m.group(2)] = {"status": m.group(3).lower().replace(" ", "_"),
                             "seconds": float(m.group(4))}
    for line in text.splitlines():
        m = NOT_RUN.match(line)
        if m and m.group(1) not in tests:
            tests[m.group(1)] = {"status": m.group(2).lower().replace(" ", "_"), "seconds": 0.0}
    count = lambda s: sum(1 for t in tests.values() if t["status"] == s)
    out = {
        "total": len(tests),
        "passed": count("passed"),
        "skipped": count("skipped") + count("disabled") + count("not_run"),
        "failed": sum(1 for t in tests.values()
                      if t["status"] in ("failed", "timeout", "exception")),
        "failed_names": sorted(n for n, t in tests.items()
                               if t["status"] in ("failed", "timeout", "exception")),
        "cuda": {n: t["status"] for n, t in sorted(tests.items()) if n.endswith("_CUDA")},
    }
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", text)
    if m:
        out["ctest_line"] = m.group(0)
    m = re.search(r"Total Test time \(real\) =\s+([\d.]+) sec", text)
    if m:
        out["seconds"] = float(m.group(1))
    return out


def load_bench(path):
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    rows = []
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        rows.append({
            "name": b.get("name"),
            "label": b.get("label", ""),
            "images_per_second": b.get("items_per_second"),
            "time_per_iteration": b.get("real_time"),
            "time_unit": b.get("time_unit"),
            "peak_rss_MB": b.get("peak_rss_MB"),
        })
    return {"context": data.get("context", {}), "benchmarks": rows}


def train_rate(bench):
    """The slower of BM_TrainStep on Tetrominoes (setting 0), fresh and active, in img/s."""
    if not bench:
        return None
    rates = [b["images_per_second"] for b in bench["benchmarks"]
             if (b["name"] or "").startswith("BM_TrainStep/0/") and b["images_per_second"]]
    return min(rates) if rates else None


def parse_train(path):
    if not os.path.exists(path):
        return None
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    rates = []
    for line in lines:
        m = PROGRESS.search(line)
        if m:
            out["iteration"], out["iterations"] = int(m.group(1)), int(m.group(2))
            out["epoch"], out["loss"] = int(m.group(3)), float(m.group(5))
            rates.append(float(m.group(6)))
        if "training on" in line and "device" in line:
            out["setup"] = line.split(": ", 1)[-1]
        m = FINISHED.match(line)
        if m:
            out["config"], out["seed"], out["status"] = m.group(1), int(m.group(2)), m.group(3)
            for kv in (m.group(4) or "").split():
                k, _, v = kv.partition("=")
                try:
                    out.setdefault("metrics", {})[k] = float(v)
                except ValueError:
                    pass
    if rates:
        out["images_per_second_last"] = rates[-1]
        out["images_per_second_median"] = sorted(rates)[len(rates) // 2]
    if "status" not in out and lines:
        out["status"] = "unfinished"
        out["last_line"] = lines[-1][-300:]
    return out


def markdown(s):
    m = s["machine"]
    lines = [f"# GPU run: {'ok' if s['ok'] else 'FAILED'}", "",
             f"- torch {m.get('torch_version')} (CUDA {m.get('torch_cuda')}), device "
             f"**{m.get('device')}** ({m.get('gpu')}), {m.get('cores')} cores",
             f"- {m.get('host')}; {m.get('glibc')}; {m.get('compiler')}; {m.get('cmake')}",
             f"- code {m.get('git')}; total {s.get('total_seconds', '?')} s", "",
             "| step | status | seconds |", "|---|---|---|"]
    for name, st in s["steps"].items():
        lines.append(f"| {name} | {st['status']} | {st['seconds']} |")
    t = s.get("tests")
    if t:
        lines += ["", "## Tests", "",
                  f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped "
                  f"(of {t['total']}; {t.get('ctest_line', 'no CTest summary line')})."]
        if t["failed_names"]:
            lines.append("Failed: " + ", ".join(t["failed_names"]))
        if t["cuda"]:
            lines.append("CUDA tests: " + ", ".join(f"{n} {st}" for n, st in t["cuda"].items()))
    b = s.get("bench")
    if b and b["benchmarks"]:
        lines += ["", f"## dti_bench on {b['context'].get('device', '?')}", "",
                  "| benchmark | what | images/s | time/iteration | peak RSS MB |",
                  "|---|---|---|---|---|"]
        for r in b["benchmarks"]:
            ips = f"{r['images_per_second']:.1f}" if r["images_per_second"] else "-"
            tpi = f"{r['time_per_iteration']:.3f} {r['time_unit']}" if r["time_per_iteration"] else "-"
            rss = f"{r['peak_rss_MB']:.0f}" if r["peak_rss_MB"] else "-"
            lines.append(f"| {r['name']} | {r.get('label', '')} | {ips} | {tpi} | {rss} |")
    tr = s.get("train")
    if tr:
        lines += ["", "## Training (Tetrominoes)", "",
                  f"- status: {tr.get('status')}; {tr.get('iteration', 0)}/{tr.get('iterations', '?')}"
                  f" iterations in epoch {tr.get('epoch', '?')}; last loss {tr.get('loss', '?')}",
                  f"- speed: {tr.get('images_per_second_median', '?')} img/s (median of progress "
                  f"lines); planned from {m.get('train_rate_img_s', '?')} img/s for "
                  f"{s.get('train_seconds')} s",
                  f"- {tr.get('setup', '')}"]
        if tr.get("metrics"):
            lines.append("- metrics: " + ", ".join(f"{k} {v:g}" for k, v in tr["metrics"].items()))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state")
    ap.add_argument("--out")
    ap.add_argument("--train-seconds", type=int, default=0)
    ap.add_argument("--train-rate", metavar="BENCH_JSON")
    a = ap.parse_args()
    if a.train_rate:
        rate = train_rate(load_bench(a.train_rate))
        if rate is None:
            return 1
        print(f"{rate:.1f}")
        return 0
    if not a.out:
        ap.error("--out is required")
    state, steps = read_state(a.state)
    summary = {
        "ok": bool(steps) and all(st["exit"] == 0 for st in steps.values()),
        "machine": state,
        "steps": steps,
        "train_seconds": a.train_seconds,
        "total_seconds": int(state["total_seconds"]) if "total_seconds" in state else None,
        "tests": parse_ctest(os.path.join(a.out, "ctest.log")),
        "bench": load_bench(os.path.join(a.out, "bench.json")),
        "train": parse_train(os.path.join(a.out, "train.log")),
    }
    with open(os.path.join(a.out, "summary.json.tmp"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    os.replace(os.path.join(a.out, "summary.json.tmp"), os.path.join(a.out, "summary.json"))
    with open(os.path.join(a.out, "summary.md.tmp"), "w", encoding="utf-8") as f:
        f.write(markdown(summary))
    os.replace(os.path.join(a.out, "summary.md.tmp"), os.path.join(a.out, "summary.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
