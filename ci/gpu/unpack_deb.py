#!/usr/bin/env python3
"""Unpacks the data of Debian packages into a folder, for a machine without dpkg:
  unpack_deb.py DEST FILE.deb...
A .deb is an ar archive holding data.tar.*, which Python's tarfile reads."""
import io
import sys
import tarfile


def unpack(deb, dest):
    with open(deb, "rb") as f:
        data = f.read()
    if data[:8] != b"!<arch>\n":
        sys.exit(f"{deb}: not a .deb (no ar header); run ci/gpu/prepare.sh again")
    pos = 8
    while pos + 60 <= len(data):
        name, size = data[pos:pos + 16].decode().strip().rstrip("/"), int(data[pos + 48:pos + 58])
        body, pos = data[pos + 60:pos + 60 + size], pos + 60 + size + (size & 1)
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as t:
                trusted = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
                t.extractall(dest, **trusted)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    for deb in sys.argv[2:]:
        unpack(deb, sys.argv[1])
