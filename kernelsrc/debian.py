"""Real kernel source, fetched from Debian's `linux-source-*` packages (the project
holds no kernel source text): what the tests and the kernel benchmark check.

`tree("6.12")` returns a directory holding `mm/page_alloc.c`, `mm/Kconfig` and
`kernel/Kconfig.preempt` of Debian's linux-source-6.12, extracted once into
`~/.cache/drainverify/debian/` (or `$DRAINVERIFY_DEBIAN_CACHE`); if the package
cannot be fetched it raises `Unavailable` with the reason, which the tests turn
into a visible skip.  `python -m kernelsrc.debian 6.1 6.12` fetches ahead.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = {"6.1": "linux-source-6.1", "6.12": "linux-source-6.12"}
FILES = ("mm/page_alloc.c", "mm/Kconfig", "kernel/Kconfig.preempt")


class Unavailable(Exception):
    pass


def cache_root() -> Path:
    d = os.environ.get("DRAINVERIFY_DEBIAN_CACHE")
    return Path(d) if d else Path.home() / ".cache" / "drainverify" / "debian"


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def tree(version: str) -> Path:
    pkg = PACKAGES[version]
    root = cache_root()
    dest = root / pkg
    if (dest / "SOURCE").is_file():
        return dest
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (dest / "SOURCE").is_file():
            return dest
        return _fetch(pkg, dest)


def _fetch(pkg: str, dest: Path) -> Path:
    for tool in ("apt-get", "dpkg-deb", "tar", "xz"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed, so {pkg} cannot be fetched")
    work = Path(tempfile.mkdtemp(prefix="debian-kernel-"))
    try:
        r = _run(["apt-get", "download", pkg], cwd=work)
        if r.returncode and os.geteuid() == 0:
            _run(["apt-get", "update", "-qq"])
            r = _run(["apt-get", "download", pkg], cwd=work)
        debs = list(work.glob(f"{pkg}_*.deb"))
        if r.returncode or not debs:
            last = (r.stderr.strip().splitlines() or ["no message"])[-1]
            raise Unavailable(f"apt-get download {pkg} failed: {last}")
        deb = debs[0]
        tar = _run(["sh", "-c", f"dpkg-deb --fsys-tarfile '{deb}' | tar -x -C '{work}' --wildcards '*.tar.xz'"])
        archives = list(work.glob("usr/src/*.tar.xz"))
        if tar.returncode or not archives:
            raise Unavailable(f"{deb.name} holds no source archive: {tar.stderr.strip()[:200]}")
        out = work / "x"
        out.mkdir()
        ex = _run(["tar", "-xJf", str(archives[0]), "-C", str(out), "--wildcards",
                   *[f"*/{f}" for f in FILES]])
        top = next((p for p in out.iterdir() if p.is_dir()), None)
        if top is None or not (top / "mm" / "page_alloc.c").is_file():
            raise Unavailable(f"{archives[0].name} has no mm/page_alloc.c: {ex.stderr.strip()[:200]}")
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for f in FILES:
            src = top / f
            if src.is_file():
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, tmp / f)
        (tmp / "SOURCE").write_text(f"{deb.name}\n")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    for v in sys.argv[1:] or list(PACKAGES):
        try:
            print(v, tree(v))
        except Unavailable as exc:
            print(v, "unavailable:", exc)
