"""What the loader needs to know about a C file before (and besides) compiling it.

Works on the preprocessed text (`gcc -E` with the era's headers), keeping only the
lines that came from the user's file (line markers tell), with comments, strings
and character literals blanked.  It finds:

* function definitions and their bodies (a `{` at file scope whose header ends in
  a parameter list), so the loader knows which of the era's helpers the file
  defines itself (`drain_pages`, `free_pcppages_bulk`, ...) and whether the entry,
  `__drain_all_pages` and the init function exist;
* the call graph (identifiers of defined functions named in a body, calls and
  function pointers alike), from which the Variant's ingredient flags follow:
  `allocates` (a reachable body names zalloc/alloc_cpumask_var), `delivers`
  (on_each_cpu*, smp_call_function*, queue_work_on), `owes_null_zone` (no
  mutex_trylock: a NULL-zone caller is owed a complete drain);
* cpumasks with static storage (file-scope or function-static `cpumask_t`,
  `struct cpumask`, `cpumask_var_t`): these are shared by every caller, so they
  become model slots (`KState.masks`).

Simplified: this is a scanner, not a C parser.  K&R definitions, functions
defined by macros and masks inside structs are not recognised; the runtime
refuses a static mask it was not told about rather than guessing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_MARKER = re.compile(r'^# (\d+) "([^"]*)"')
_IDENT = re.compile(r"[A-Za-z_]\w*")
_MASK_DECL = re.compile(
    r"(?<![\w*])(?P<static>static\s+)?(?:const\s+)?(?P<type>cpumask_t|struct\s+cpumask|cpumask_var_t)"
    r"\s+(?P<name>[A-Za-z_]\w*)\s*(?=[;=\[,])")

ALLOC_NAMES = ("zalloc_cpumask_var", "alloc_cpumask_var")
DELIVER_NAMES = ("on_each_cpu", "on_each_cpu_mask", "smp_call_function", "smp_call_function_many",
                 "smp_call_function_single", "queue_work_on", "schedule_work_on")


@dataclass
class Source:
    functions: dict = field(default_factory=dict)     # name -> body text
    masks: list = field(default_factory=list)         # (name, type, in_function)

    def defines(self, name: str) -> bool:
        return name in self.functions

    def reachable(self, roots) -> set:
        seen, todo = set(), [r for r in roots if r in self.functions]
        while todo:
            f = todo.pop()
            if f in seen:
                continue
            seen.add(f)
            for ident in set(_IDENT.findall(self.functions[f])):
                if ident in self.functions and ident not in seen:
                    todo.append(ident)
        return seen

    def mentions(self, funcs, names) -> bool:
        pat = re.compile(r"\b(" + "|".join(names) + r")\b")
        return any(pat.search(self.functions[f]) for f in funcs)


def user_text(preprocessed: str, path: str) -> str:
    """The lines of `preprocessed` that came from `path` (others blanked)."""
    out, mine = [], False
    for line in preprocessed.splitlines():
        m = _MARKER.match(line)
        if m:
            mine = m.group(2) == path
            out.append("")
            continue
        out.append(line if mine else "")
    return "\n".join(out)


def _blank_literals(text: str) -> str:
    """Comments, strings and char literals replaced by spaces (same length)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            i += 1
            continue
        for k in range(i, min(j, n)):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


def _match_back(text: str, close: int) -> int:
    """Index of the '(' matching the ')' at `close`."""
    depth = 0
    for i in range(close, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return i
    return -1


def scan(text: str) -> Source:
    text = _blank_literals(text)
    src = Source()
    depth, paren, start, fn_start, fn_name = 0, 0, 0, 0, None
    for i, c in enumerate(text):
        if c == "(":
            paren += 1
        elif c == ")":
            paren -= 1
        elif c == "{":
            if depth == 0:
                header = text[start:i].rstrip()
                header = re.sub(r"__attribute__\s*\(\(.*?\)\)\s*$", "", header).rstrip()
                fn_name = None
                if header.endswith(")") and "=" not in header:
                    open_ = _match_back(header, len(header) - 1)
                    m = re.search(r"([A-Za-z_]\w*)\s*$", header[:open_]) if open_ > 0 else None
                    if m and m.group(1) not in ("if", "while", "for", "switch", "sizeof"):
                        fn_name, fn_start = m.group(1), i
                _scan_masks(src, text[start:i], False)
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if fn_name:
                    body = text[fn_start:i + 1]
                    src.functions[fn_name] = body
                    _scan_masks(src, body, True)
                fn_name = None
                start = i + 1
        elif c == ";" and depth == 0 and paren == 0:
            _scan_masks(src, text[start:i + 1], False)
            start = i + 1
    return src


def _scan_masks(src: Source, chunk: str, in_function: bool):
    for m in _MASK_DECL.finditer(chunk):
        if in_function and not m.group("static"):
            continue                      # on the stack: private to the call
        before = chunk[:m.start()]
        if re.search(r"\b(extern|typedef)\s+$", before) or before.rstrip().endswith(("(", ",")):
            continue
        kind = re.sub(r"\s+", " ", m.group("type"))
        if (m.group("name"), kind, in_function) not in src.masks:
            src.masks.append((m.group("name"), kind, in_function))
