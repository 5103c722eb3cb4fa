"""Patches under review: read them (a plain unified diff, `git format-patch` output,
or an mbox holding a series with or without a cover letter) and apply them, in
order, to a private copy of what the front end reads from the tree.

Applying is `git apply` (the tool kernel developers use; it needs no repository),
one patch at a time, so a failure names the patch, its subject, and the first hunk
that does not apply.  The user's tree is never written to.
"""
from __future__ import annotations

import email
import mailbox
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .source import KernelInputError, Source, read_c

#: what the front end reads from a tree (copied into the private copy)
TREE_FILES = ("mm/page_alloc.c", "mm/Kconfig", "kernel/Kconfig.preempt", "init/Kconfig", "lib/Kconfig",
              "arch/x86/Kconfig")
TREE_GLOBS = ("mm/*.h", "include/linux/*.h")
_DIFF = re.compile(r"^(diff --git |--- |\+\+\+ |@@ )", re.M)


@dataclass
class Patch:
    source: str          # the file it came from (and its position in a series)
    subject: str
    text: str

    @property
    def files(self) -> list[str]:
        out = []
        for m in re.finditer(r"^\+\+\+ (?:b/)?(\S+)", self.text, re.M):
            if m.group(1) != "/dev/null" and m.group(1) not in out:
                out.append(m.group(1))
        for m in re.finditer(r"^--- (?:a/)?(\S+)", self.text, re.M):
            if m.group(1) != "/dev/null" and m.group(1) not in out:
                out.append(m.group(1))
        return out


def read_patches(paths) -> list[Patch]:
    out = []
    for path in paths:
        p = Path(path)
        raw = read_c(p, "patch").decode("utf-8")
        if raw.startswith("From ") and re.search(r"^From [^\n]*\n(?:[A-Za-z-]+: )", raw, re.M):
            msgs = [m for m in mailbox.mbox(str(p))]
            if not msgs:
                msgs = [email.message_from_string(raw)]
        elif re.match(r"^[A-Za-z-]+: ", raw) and "\n\n" in raw:
            msgs = [email.message_from_string(raw)]
        else:
            msgs = None
        if msgs is None:
            if not _DIFF.search(raw):
                raise KernelInputError(f"{path}: not a patch (no unified diff in it)")
            out.append(Patch(str(path), p.name, _trim(raw)))
            continue
        found = 0
        for i, m in enumerate(msgs, 1):
            body = _body(m)
            subject = " ".join(str(m.get("Subject", "")).split()) or f"message {i}"
            if not _DIFF.search(body):
                continue            # a cover letter, or a reply without a diff
            found += 1
            out.append(Patch(f"{path} #{i}", subject, _trim(body)))
        if not found:
            raise KernelInputError(f"{path}: no patch in it (only a cover letter or messages without a diff)")
    if not out:
        raise KernelInputError("no patch given")
    return out


def _trim(body: str) -> str:
    """Drop what follows the last hunk: the `-- ` signature git format-patch appends
    and the blank lines an mbox puts between messages (git apply would read an
    empty line as a context line)."""
    m = list(re.finditer(r"^-- $", body, re.M))
    if m and _DIFF.search(body, 0, m[-1].start()):
        body = body[:m[-1].start()]
    return body.rstrip("\n") + "\n"


def _body(msg) -> str:
    if msg.is_multipart():
        parts = [p for p in msg.walk() if p.get_content_type() in ("text/plain", "text/x-diff", "text/x-patch")]
        return "\n".join(_decode(p) for p in parts)
    return _decode(msg)


def _decode(part) -> str:
    data = part.get_payload(decode=True)
    if data is None:
        return str(part.get_payload())
    return data.decode(part.get_content_charset() or "utf-8", "replace")


def private_copy(src: Source, patches: list[Patch]) -> Path:
    """A temporary tree with what the front end reads, plus every file a patch touches."""
    root = Path(tempfile.mkdtemp(prefix="drainverify-review-"))
    if src.tree is None:
        (root / "mm").mkdir(parents=True)
        shutil.copyfile(src.path, root / "mm" / "page_alloc.c")
        return root
    wanted = set(TREE_FILES)
    for g in TREE_GLOBS:
        wanted |= {str(p.relative_to(src.tree)) for p in src.tree.glob(g)}
    for p in patches:
        wanted |= set(p.files)
    for rel in sorted(wanted):
        f = src.tree / rel
        if f.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, root / rel)
    if src.path.resolve() != (src.tree / "mm" / "page_alloc.c").resolve():
        shutil.copyfile(src.path, root / "mm" / "page_alloc.c")
    return root


def apply(src: Source, patches: list[Patch]) -> Path:
    """Apply every patch, in order, to a private copy; return the copy's root."""
    root = private_copy(src, patches)
    lone = src.tree is None
    for n, p in enumerate(patches, 1):
        text = p.text
        if lone:
            others = [f for f in p.files if not f.endswith("page_alloc.c")]
            text = _only_page_alloc(text) if others else text
            text = re.sub(r"^(---|\+\+\+) ([ab]/)?\S*page_alloc\.c", lambda m: f"{m.group(1)} {m.group(2) or ''}"
                          f"mm/page_alloc.c", text, flags=re.M)
            text = re.sub(r"^diff --git a/\S*page_alloc\.c b/\S*page_alloc\.c", "diff --git a/mm/page_alloc.c "
                          "b/mm/page_alloc.c", text, flags=re.M)
        r = subprocess.run(["git", "apply", "--recount", "-p1", "-"], cwd=root, input=text, capture_output=True,
                           text=True)
        if r.returncode:
            shutil.rmtree(root, ignore_errors=True)
            raise KernelInputError(_failure(p, n, len(patches), r.stderr))
    return root


def _only_page_alloc(text: str) -> str:
    """A lone file has nothing but page_alloc.c: drop the other files' sections."""
    parts = re.split(r"(?=^diff --git )", text, flags=re.M)
    if len(parts) == 1:
        parts = re.split(r"(?=^--- )", text, flags=re.M)
    return "".join(s for s in parts if not re.match(r"(diff --git|---) ", s) or "page_alloc.c" in s.split("\n", 1)[0])


def _failure(p: Patch, n: int, total: int, stderr: str) -> str:
    which = f"patch {n} of {total}" if total > 1 else "the patch"
    m = re.search(r"patch failed: (\S+):(\d+)", stderr)
    if m:
        line = int(m.group(2))
        hunk = _hunk_at(p.text, m.group(1), line)
        return (f"{which} ({p.subject}) does not apply: its first failing hunk is {hunk or '@@ at line ' + str(line)}"
                f" in {m.group(1)}")
    first = next((l for l in stderr.splitlines() if l.strip()), "git apply failed")
    return f"{which} ({p.subject}) does not apply: {first.removeprefix('error: ')}"


def _hunk_at(text: str, fname: str, line: int) -> str | None:
    """The hunk header of `fname` whose old start is `line` (or the nearest)."""
    cur, best = None, None
    for l in text.splitlines():
        m = re.match(r"^\+\+\+ (?:b/)?(\S+)", l)
        if m:
            cur = m.group(1)
        m = re.match(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@.*", l)
        if m and cur and cur.endswith(fname.split("/")[-1]):
            d = abs(int(m.group(1)) - line)
            if best is None or d < best[0]:
                best = (d, l.strip())
    return best[1] if best else None
