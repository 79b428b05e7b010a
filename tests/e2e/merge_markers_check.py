#!/usr/bin/env python3
"""Fails when a tracked text file still holds git merge conflict markers (a docs/architecture.md once kept
both sides of a merge for a whole day). Usage: merge_markers_check.py SOURCE_ROOT"""
import os, re, subprocess, sys

MARKER = re.compile(rb"^(<{7} |>{7} |={7}$)", re.M)


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=True).stdout
        return [os.path.join(root, p.decode()) for p in out.split(b"\0") if p]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (a source tarball): walk it
        return [os.path.join(d, f) for d, dirs, files in os.walk(root)
                for f in files if not d.startswith(os.path.join(root, "build"))]


def main():
    root = sys.argv[1]
    bad = []
    for path in tracked_files(root):
        try:
            data = open(path, "rb").read()
        except OSError:
            continue
        if b"\0" in data[:8192]:  # binary (captures, databases)
            continue
        for m in MARKER.finditer(data):
            line = data.count(b"\n", 0, m.start()) + 1
            bad.append(f"{os.path.relpath(path, root)}:{line}: {data[m.start():m.start() + 40].decode(errors='replace')}")
    for b in bad:
        print(b)
    print(f"merge markers: {len(bad)} found")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
