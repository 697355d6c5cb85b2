#!/usr/bin/env python3
"""Summary of one part of ci/gpu/run.sh: OUT/summary.json and OUT/summary.md from the step record
(STATE), the logs (LOGS: ctest*.log, train.log) and OUT's bench.json or compare.json. Standard
library only. Rewritten after every step, so a part stopped from outside leaves what it did.

  summarize.py --part 1|2 --state STATE.tsv --logs LOGS --out OUT
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
    """Machine facts and steps: a step's value is "exit seconds estimate box" (lib.sh's step)."""
    state, steps = {}, {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                if not key.startswith("step."):
                    state[key] = value
                    continue
                rc, seconds, estimate, box = (value.split() + ["", "", "", ""])[:4]
                status = {"0": "ok", "124": "out of time", "skipped": "skipped (no time left)",
                          "no-estimate": "refused: no estimate in plan.tsv"}.get(rc, f"failed (exit {rc})")
                number = lambda x: int(x) if x.lstrip("-").isdigit() else None
                steps[key[5:]] = {"status": status, "exit": number(rc), "seconds": number(seconds),
                                  "estimate": number(estimate), "box": number(box)}
    return state, steps


def skip_reasons(text):
    """{test: reason} from CTest -V output: the line after gtest's "...: Skipped"."""
    current, reasons, pending = {}, {}, {}
    for line in text.splitlines():
        m = re.match(r"(\d+): (.*)$", line)
        if not m:
            continue
        n, rest = m.groups()
        run = re.match(r"\[ RUN\s+\] (\S+)", rest)
        if run:
            current[n] = run.group(1).split(".")[-1]
        elif rest.endswith(": Skipped"):
            pending[n] = True
        elif pending.pop(n, False) and n in current:
            reasons[current[n]] = rest.strip()
    return reasons


def parse_ctest(paths):
    tests, text = {}, ""
    for path in paths:
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text += f.read() + "\n"
    if not text:
        return None
    for m in TEST_LINE.finditer(text):
        tests[m.group(2)] = {"status": m.group(3).lower().replace(" ", "_"),
                             "seconds": float(m.group(4))}
    for line in text.splitlines():
        m = NOT_RUN.match(line)
        if m and m.group(1) not in tests:
            tests[m.group(1)] = {"status": m.group(2).lower().replace(" ", "_"), "seconds": 0.0}
    bad = ("failed", "timeout", "exception")
    count = lambda s: sum(1 for t in tests.values() if t["status"] == s)
    reasons = skip_reasons(text)
    return {
        "total": len(tests),
        "passed": count("passed"),
        "skipped": count("skipped") + count("disabled") + count("not_run"),
        "failed": sum(1 for t in tests.values() if t["status"] in bad),
        "failed_names": sorted(n for n, t in tests.items() if t["status"] in bad),
        "cuda": {n: t["status"] + (f" ({reasons[n.split('.')[-1]]})"
                                   if t["status"] == "skipped" and n.split(".")[-1] in reasons else "")
                 for n, t in sorted(tests.items()) if n.endswith("_CUDA")},
        "ctest_lines": re.findall(r"\d+% tests passed, \d+ tests failed out of \d+", text),
    }


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_bench(path):
    data = load_json(path)
    if not data:
        return None
    rows = []
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        rows.append({"name": b.get("name"), "label": b.get("label", ""),
                     "images_per_second": b.get("items_per_second"),
                     "time_per_iteration": b.get("real_time"), "time_unit": b.get("time_unit"),
                     "peak_rss_MB": b.get("peak_rss_MB")})
    return {"context": data.get("context", {}), "benchmarks": rows}


def parse_train(path):
    """Progress (with the loss curve), the final status line and its metrics."""
    if not os.path.exists(path):
        return None
    out, rates, curve = {}, [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        m = PROGRESS.search(line)
        if m:
            out["iteration"], out["iterations"] = int(m.group(1)), int(m.group(2))
            out["epoch"], out["loss"] = int(m.group(3)), float(m.group(5))
            rates.append(float(m.group(6)))
            curve.append([int(m.group(1)), float(m.group(5))])
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
    out["loss_curve"] = curve
    if rates:
        out["images_per_second_median"] = sorted(rates)[len(rates) // 2]
    if "status" not in out and lines:
        out["status"] = "unfinished"
        out["last_line"] = lines[-1][-300:]
    return out


def fmt(x, spec="{:.1f}"):
    return "-" if x is None else spec.format(x)


def md_tests(t):
    lines = ["", "## Tests", "", f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} "
             f"skipped of {t['total']} ({'; '.join(t['ctest_lines']) or 'no CTest summary line'})."]
    if t["failed_names"]:
        lines.append("Failed: " + ", ".join(t["failed_names"]))
    if t["cuda"]:
        lines += ["", "CUDA tests:"] + [f"- {n}: {st}" for n, st in t["cuda"].items()]
    return lines


def md_bench(b):
    lines = ["", f"## dti_bench on {b['context'].get('device', '?')}", "",
             "| benchmark | what | images/s | time/iteration | peak RSS MB |", "|---|---|---|---|---|"]
    for r in b["benchmarks"]:
        tpi = (f"{r['time_per_iteration']:.3f} {r['time_unit']}"
               if r["time_per_iteration"] is not None else "-")
        lines.append(f"| {r['name']} | {r['label']} | {fmt(r['images_per_second'])} | {tpi} | "
                     f"{fmt(r['peak_rss_MB'], '{:.0f}')} |")
    return lines


def md_compare(c):
    lines = []
    mine = {(r["config"], r["precision"]): r["img_s"] for r in c.get("ours", {}).get("rows", [])}
    a = c.get("authors", {})
    if a or mine:
        lines += ["", "## Training step, ours beside the authors' (all modules active, images/s)", ""]
        if "skipped" in a:
            lines += [f"authors' code: {a['skipped']}", ""]
        theirs = {(r["config"], r["precision"]): r["img_s"] for r in a.get("rows", [])}
        lines += ["| config | precision | ours | authors' | ours / authors' |", "|---|---|---|---|---|"]
        for key in sorted(set(mine) | set(theirs)):
            o, t = mine.get(key), theirs.get(key)
            lines.append(f"| {key[0]} | {key[1]} | {fmt(o)} | {fmt(t)} | "
                         f"{fmt(o / t if o and t else None, '{:.2f}x')} |")
    g = c.get("together")
    if g:
        lines += ["", f"## Runs at once (Tetrominoes, {g['iterations']} iterations each)", "",
                  f"- one run alone: {fmt(g['one_img_s'])} img/s ({g['one_wall_s']} s)",
                  f"- {g['runs']} runs at once: {fmt(g['many_img_s'])} img/s in all "
                  f"({g['many_wall_s']} s), {fmt(g['gain'], '{:.2f}x')} one run's"]
    return lines


def md_train(tr, m):
    lines = ["", "## Training (Tetrominoes, paper preset)", "",
             f"- status: {tr.get('status')}; {tr.get('iteration', 0)}/{tr.get('iterations', '?')} "
             f"iterations in epoch {tr.get('epoch', '?')}; last loss {tr.get('loss', '?')}",
             f"- speed: {tr.get('images_per_second_median', '?')} img/s (median of progress lines); "
             f"planned from {m.get('train_rate_img_s', '?')} img/s for {m.get('train_seconds', '?')} s",
             f"- {tr.get('setup', '')}"]
    if tr.get("metrics"):
        lines.append("- metrics: " + ", ".join(f"{k} {v:g}" for k, v in tr["metrics"].items()))
    return lines


def markdown(s):
    m = s["machine"]
    lines = [f"# GPU run, part {s['part']}: {'ok' if s['ok'] else 'FAILED'}", "",
             f"- torch {m.get('torch_version')} (CUDA {m.get('torch_cuda')}), device "
             f"**{m.get('device')}** ({m.get('gpu')}; {m.get('nvidia_smi', 'no nvidia-smi')})",
             f"- {m.get('cores')} cores ({m.get('cpu')}); {m.get('host')}; {m.get('glibc')}",
             f"- {m.get('compiler')}; {m.get('cmake')}; code {m.get('git')}; "
             f"total {s.get('total_seconds') or '?'} s", "",
             "| step | status | seconds | estimate | box |", "|---|---|---|---|---|"]
    for name, st in s["steps"].items():
        lines.append(f"| {name} | {st['status']} | {st['seconds']} | {st['estimate']} | {st['box']} |")
    if s.get("tests"):
        lines += md_tests(s["tests"])
    if s.get("bench") and s["bench"]["benchmarks"]:
        lines += md_bench(s["bench"])
    if s.get("compare"):
        lines += md_compare(s["compare"])
    if s.get("train"):
        lines += md_train(s["train"], m)
    return "\n".join(lines) + "\n"


def write(path, text):
    with open(path + ".part", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".part", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", required=True, choices=["1", "2"])
    ap.add_argument("--state", required=True)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    state, steps = read_state(a.state)
    s = {"part": int(a.part), "ok": bool(steps) and all(st["exit"] == 0 for st in steps.values()),
         "machine": state, "steps": steps,
         "total_seconds": int(state["total_seconds"]) if "total_seconds" in state else None}
    if a.part == "1":
        s["tests"] = parse_ctest([os.path.join(a.logs, "ctest.log"),
                                  os.path.join(a.logs, "ctest-cuda.log")])
        s["bench"] = load_bench(os.path.join(a.out, "bench.json"))
    else:
        s["compare"] = load_json(os.path.join(a.out, "compare.json"))
        s["train"] = parse_train(os.path.join(a.logs, "train.log"))
    write(os.path.join(a.out, "summary.json"), json.dumps(s, indent=1))
    write(os.path.join(a.out, "summary.md"), markdown(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
