#!/usr/bin/env python3
"""Checks that what a ci/gpu/run.sh call leaves in OUTDIR comes back whole from the device tool:
at most 8 files, none more than two folders below OUTDIR, none over 16 MiB, only plain files; and
that every step recorded in a summary.json there had a time estimate in ci/gpu/plan.tsv.

  check_out.py OUTDIR [--plan ci/gpu/plan.tsv --script ci/gpu/run.sh ...]

With --plan and --script it also checks that every `step NAME` the scripts run has a row in the
plan. Prints each problem; exit 1 when there is one, 0 otherwise.
"""
import argparse
import json
import os
import re
import sys

MAX_FILES, MAX_DEPTH, MAX_BYTES = 8, 2, 16 * 1024 * 1024


def check_files(out):
    problems, files = [], []
    for folder, dirs, names in os.walk(out, followlinks=False):
        rel = os.path.relpath(folder, out)
        depth = 0 if rel == "." else len(rel.split(os.sep))
        for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            shown = os.path.relpath(path, out)
            files.append(shown)
            if depth > MAX_DEPTH:
                problems.append(f"{shown}: {depth} folders below OUTDIR (at most {MAX_DEPTH} come back)")
            if os.path.islink(path) or not os.path.isfile(path):
                problems.append(f"{shown}: not a plain file (links and the like do not come back)")
            elif os.path.getsize(path) > MAX_BYTES:
                problems.append(f"{shown}: {os.path.getsize(path)} bytes (at most {MAX_BYTES} come back)")
    if len(files) > MAX_FILES:
        problems.append(f"{len(files)} files (at most {MAX_FILES} come back): " + ", ".join(sorted(files)))
    return problems, files


def check_summaries(out, files):
    problems = []
    summaries = [f for f in files if os.path.basename(f) == "summary.json"]
    if not summaries:
        problems.append("no summary.json: the run left no record of its steps")
    for f in summaries:
        try:
            with open(os.path.join(out, f)) as fp:
                steps = json.load(fp).get("steps", {})
        except (OSError, ValueError) as e:
            problems.append(f"{f}: unreadable ({e})")
            continue
        if not steps:
            problems.append(f"{f}: no steps recorded")
        for name, st in steps.items():
            if st.get("estimate") is None:
                problems.append(f"{f}: step '{name}' has no time estimate (add a row to ci/gpu/plan.tsv)")
    return problems


def check_plan(plan, scripts):
    with open(plan) as f:
        planned = {line.split("\t")[1] for line in f if line.strip() and not line.startswith("#")}
    problems = []
    for script in scripts:
        with open(script) as f:
            for n, line in enumerate(f, 1):
                for name in re.findall(r"^\s*step ([a-z_]+) ", line):
                    if name not in planned:
                        problems.append(f"{script}:{n}: step '{name}' has no row in {plan}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--plan")
    ap.add_argument("--script", action="append", default=[])
    a = ap.parse_args()
    if not os.path.isdir(a.outdir):
        print(f"check_out: {a.outdir} is not a folder", file=sys.stderr)
        return 1
    problems, files = check_files(a.outdir)
    problems += check_summaries(a.outdir, files)
    if a.plan:
        problems += check_plan(a.plan, a.script)
    for p in problems:
        print(f"check_out: {p}", file=sys.stderr)
    if not problems:
        print(f"check_out: {a.outdir}: {len(files)} files, all within the limits; every step has an estimate")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
