#!/usr/bin/env python3
"""Self time per operator from dti_profile_step's Chrome trace (LibTorch's autograd profiler).

  bench/profile_summary.py TRACE.json --steps N [--top 25]

An operator's self time is its duration less that of the operators it called (nested events on
the same thread), so the column adds up to the profiled time. Autograd's backward nodes
("...Backward0") and the operators they call are counted like forward ones. Per step = total / N.
"""
import argparse
import collections
import json
import sys


def self_times(events):
    """{name: [self microseconds, calls]} from complete ("X") events, nesting per thread."""
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_thread[e.get("tid")].append((float(e["ts"]), float(e["dur"]), e["name"]))
    totals = collections.defaultdict(lambda: [0.0, 0])
    wall = 0.0
    for items in by_thread.values():
        items.sort(key=lambda t: (t[0], -t[1]))
        stack = []  # [end, name, child time]
        def close(until):
            nonlocal wall
            while stack and stack[-1][0] <= until:
                end, name, child, dur = stack.pop()
                totals[name][0] += dur - child
                totals[name][1] += 1
                if stack:
                    stack[-1][2] += dur
                else:
                    wall += dur
        for ts, dur, name in items:
            close(ts)
            stack.append([ts + dur, name, 0.0, dur])
        close(float("inf"))
    return totals, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    try:
        with open(args.trace) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"profile_summary: cannot read the trace {args.trace}: {e}")
    events = data["traceEvents"] if isinstance(data, dict) else data
    totals, wall = self_times(events)
    if not totals:
        sys.exit(f"profile_summary: {args.trace} has no complete events; is it dti_profile_step's?")
    print(f"profiled operators: {wall / 1e3 / args.steps:.1f} ms per step (outermost events)")
    print("| operator | self ms/step | share | calls/step |")
    print("|---|---|---|---|")
    ranked = sorted(totals.items(), key=lambda kv: -kv[1][0])
    for name, (us, calls) in ranked[: args.top]:
        print(f"| {name} | {us / 1e3 / args.steps:.2f} | {100 * us / wall:.1f}% "
              f"| {calls / args.steps:.0f} |")


if __name__ == "__main__":
    main()
