#!/usr/bin/env python3
"""Reads a run folder's TensorBoard event files with TensorBoard's own reader (EventAccumulator,
from PyPI's `tensorboard` package) and checks what runexp writes there (experiments/
tensorboard_run.h): the scalar and image tags asked for, finite scalars at increasing steps, and
images whose PNG header matches the width and height the event states.

  read_tfevents.py RUN_FOLDER --scalars train/loss,eval/ari_fg --images sprites,masks

Exit codes: 0 all present and sound, 1 something missing or wrong (said on stderr), 77 the
`tensorboard` package is not importable (the CTest test skips; ci/install-tensorboard.sh).
"""
import argparse
import math
import struct
import sys


def fail(message):
    print("read_tfevents: " + message, file=sys.stderr)
    sys.exit(1)


def png_size(data):
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        fail("image is not a PNG (first bytes %r)" % data[:16])
    return struct.unpack(">II", data[16:24])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="folder holding events.out.tfevents.* files")
    parser.add_argument("--scalars", default="", help="comma-separated scalar tags expected")
    parser.add_argument("--images", default="", help="comma-separated image tags expected")
    args = parser.parse_args()
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError as e:
        print("read_tfevents: the tensorboard package is not importable (%s); "
              "run ci/install-tensorboard.sh" % e, file=sys.stderr)
        sys.exit(77)

    keep_all = {kind: 0 for kind in (event_accumulator.SCALARS, event_accumulator.IMAGES)}
    acc = event_accumulator.EventAccumulator(args.folder, size_guidance=keep_all)
    acc.Reload()
    tags = acc.Tags()
    # TensorBoard parses "brain.Event:2" into 2.0; >= 2 is what makes it honour session START.
    if acc.file_version is None or acc.file_version < 2:
        fail("file_version %r, expected 2 (brain.Event:2)" % acc.file_version)
    wanted_scalars = [t for t in args.scalars.split(",") if t]
    wanted_images = [t for t in args.images.split(",") if t]
    for tag in wanted_scalars:
        if tag not in tags["scalars"]:
            fail("scalar %s missing; scalars present: %s" % (tag, sorted(tags["scalars"])))
    for tag in wanted_images:
        if tag not in tags["images"]:
            fail("image %s missing; images present: %s" % (tag, sorted(tags["images"])))
    points = 0
    for tag in tags["scalars"]:
        events = acc.Scalars(tag)
        steps = [e.step for e in events]
        if steps != sorted(steps) or len(set(steps)) != len(steps):
            fail("scalar %s: steps not increasing: %s" % (tag, steps))
        for e in events:
            if not math.isfinite(e.value):
                fail("scalar %s at step %d is %r" % (tag, e.step, e.value))
        points += len(events)
    images = 0
    for tag in tags["images"]:
        for e in acc.Images(tag):
            width, height = png_size(e.encoded_image_string)
            if (width, height) != (e.width, e.height):
                fail("image %s at step %d: PNG is %dx%d, the event says %dx%d"
                     % (tag, e.step, width, height, e.width, e.height))
            images += 1
    loss = acc.Scalars("train/loss") if "train/loss" in tags["scalars"] else []
    print("read_tfevents: %s: %d scalar tags (%d points), %d image tags (%d images); "
          "train/loss steps %s" % (args.folder, len(tags["scalars"]), points, len(tags["images"]),
                                   images, [e.step for e in loss]))


if __name__ == "__main__":
    main()
