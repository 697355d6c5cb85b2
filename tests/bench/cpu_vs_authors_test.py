#!/usr/bin/env python3
"""bench/cpu_vs_authors.py tells apart CPUs that share a model name (a Zen 3 and a Zen 4 VM both
say "AMD EPYC") by /proc/cpuinfo's family and model numbers and ISA flags, and reports each
side's slowest and fastest run, not only the medians the ratios come from."""
import os
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import cpu_vs_authors  # noqa: E402

# Two processors' worth of /proc/cpuinfo, as a Zen 3 VM of this project printed it (shortened).
ZEN3 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu sse sse2 fma avx avx2 bmi2
processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC
flags\t\t: fpu sse sse2 fma avx avx2 bmi2
"""


class CpuModel(unittest.TestCase):
    def parse(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
        try:
            return cpu_vs_authors.cpu_model(f.name)
        finally:
            os.unlink(f.name)

    def test_zen3_and_zen4_differ_although_their_names_do_not(self):
        self.assertEqual(self.parse(ZEN3), ("AMD EPYC, family 25 model 1", ["avx2"]))
        zen4 = ZEN3.replace("model\t\t: 1", "model\t\t: 17").replace(
            "avx2 bmi2", "avx2 bmi2 avx512f avx512_bf16")
        self.assertEqual(self.parse(zen4),
                         ("AMD EPYC, family 25 model 17", ["avx2", "avx512f", "avx512_bf16"]))

    def test_missing_fields_read_as_unknown(self):
        self.assertEqual(self.parse("processor\t: 0\n"), ("?, family ? model ?", []))


class RangeLines(unittest.TestCase):
    def test_each_side_gives_its_slowest_and_fastest_run(self):
        rows = [{"config": "gtsrb8", "authors_runs": [99.3, 137.4, 124.0],
                 "ours": {"fp32": {"runs": [273.1, 296.3, 287.9]},
                          "fp32-fused": {"runs": [258.9, 305.1, 300.4]}}}]
        self.assertEqual(cpu_vs_authors.range_lines(rows),
                         ["gtsrb8: ours fp32 273.1-296.3, ours fp32-fused 258.9-305.1, "
                          "authors 99.3-137.4"])


if __name__ == "__main__":
    unittest.main()
