"""Where the user's kernel code is: a tree or a single file, read safely.

`locate(PATH)` accepts a kernel source tree (it needs `mm/page_alloc.c`; other
files -- `mm/Kconfig`, `kernel/Kconfig.preempt`, headers under `include/` and
`mm/` -- are read when present) or any C file that holds the whole of a
`page_alloc.c`, whatever its name.  Bad input is a `KernelInputError` whose text
is one line naming the problem.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KernelInputError(Exception):
    """The kernel input cannot be used; str() is a one-line reason."""


@dataclass(frozen=True)
class Source:
    path: Path                 # the page_alloc.c that is read
    tree: Path | None          # the tree it belongs to (None: a lone file)
    text: bytes
    display: str               # how reports name it

    def tree_file(self, rel: str) -> Path | None:
        if self.tree is None:
            return None
        p = self.tree / rel
        return p if p.is_file() else None


MAX_BYTES = 8 << 20


def read_c(path: Path, what: str = "file") -> bytes:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise KernelInputError(f"{path} is a directory, not a {what}") from None
    except OSError as exc:
        raise KernelInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise KernelInputError(f"{path} is {len(data) >> 20} MiB: not a C source file")
    if b"\0" in data[:65536] or b"\0" in data:
        raise KernelInputError(f"{path} is a binary file (it contains NUL bytes), not C source")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KernelInputError(f"{path} is not UTF-8 text (byte {exc.start}, line {line}): "
                               f"give the C file as the kernel tree has it") from None
    return data


def locate(path) -> Source:
    p = Path(path)
    if not p.exists():
        raise KernelInputError(f"{path}: no such file or directory")
    if p.is_dir():
        f = p / "mm" / "page_alloc.c"
        if not f.is_file():
            raise KernelInputError(f"{path} has no mm/page_alloc.c: pass a kernel source tree or the file itself")
        name = p.resolve().name or str(p)
        return Source(f, p, read_c(f), f"{name}/mm/page_alloc.c")
    tree = None
    if p.parent.name == "mm" and ((p.parent / "Kconfig").is_file() or (p.parent.parent / "include").is_dir()):
        tree = p.parent.parent            # a file inside a tree: its Kconfig and headers count too
    disp = f"{tree.resolve().name}/mm/{p.name}" if tree is not None else p.name
    return Source(p, tree, read_c(p), disp)
