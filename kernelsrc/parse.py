"""The file-level structure of a real `mm/page_alloc.c`, read with tree-sitter's C
grammar (made for unpreprocessed code).

An `Item` is one file-scope construct: a function definition, a macro, or a
declaration (a variable, a `DEFINE_MUTEX()`/`DEFINE_PER_CPU()` line, a struct,
union, enum or typedef).  Items inside `#if`/`#ifdef` blocks are listed like the
others; the conditionals themselves are read line by line as the preprocessor
reads them (kernelsrc.extract.conditional_groups), not from the tree: an
`#ifdef` inside an initializer can make the grammar frame a block that runs to
the end of the file.

What is trusted from the parse: the byte span of each construct and its kind.
What is not: the tree inside a function body (macro loops such as
`for_each_online_cpu(cpu) { ... }` leave ERROR nodes there, DESIGN.md §7); names
referenced are read from the tokens of the span, so an ERROR node loses nothing.
A function the grammar could not frame at all is found by a brace-matching
scan of the text as a fallback (`scan_function`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_CONTAINERS = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef",
                         "ERROR", "linkage_specification", "declaration_list"})
_IDENT = re.compile(rb"[A-Za-z_]\w*")
_KEYWORDS = frozenset(b"""auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void
volatile while _Bool bool true false defined NULL define undef ifdef ifndef endif elif include""".split())
# macros that declare nothing: their argument is a reference, not a definition
_NON_DEFINING = re.compile(r"^(EXPORT_\w*SYMBOL\w*|early_param|__setup|module_param\w*|core_param|"
                           r"\w*initcall\w*|module_init|module_exit|late_initcall\w*)$")


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter_c
    from tree_sitter import Language, Parser
    return Parser(Language(tree_sitter_c.language()))


@dataclass
class Item:
    kind: str                 # function | macro | decl | type | directive
    names: tuple              # what it defines ("foo", "struct foo", ...)
    start: int                # byte span in the file
    end: int
    line: int                 # 1-based first and last line
    last_line: int
    refs: frozenset = frozenset()     # identifiers (and "struct X" tags) it mentions
    params: str = ""          # functions: the parameter list as written

    @property
    def name(self) -> str:
        return self.names[0] if self.names else ""

    def lines_text(self) -> str:
        return f"{self.line}" if self.line == self.last_line else f"{self.line}-{self.last_line}"


@dataclass
class Parsed:
    path: str
    src: bytes
    items: list = field(default_factory=list)
    by_name: dict = field(default_factory=dict)      # name -> [Item]
    errors: int = 0                                   # ERROR nodes at file level
    tree: object = None                               # the tree-sitter tree
    missing: set = field(default_factory=set)         # names looked for and not found

    def line_of(self, offset: int) -> int:
        return self.src.count(b"\n", 0, offset) + 1

    def text(self, item: Item) -> str:
        return self.src[item.start:item.end].decode("utf-8", "replace")

    def functions(self, name: str) -> list:
        return [i for i in self.by_name.get(name, ()) if i.kind == "function"]

    def defines(self, name: str) -> list:
        return self.by_name.get(name, [])


def strip_comments(text: bytes) -> bytes:
    """Comments and string/char literals blanked (same length, newlines kept)."""
    out = bytearray(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == 0x2F and text.startswith(b"//", i):
            j = text.find(b"\n", i)
            j = n if j < 0 else j
        elif c == 0x2F and text.startswith(b"/*", i):
            j = text.find(b"*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in (0x22, 0x27):
            j = i + 1
            while j < n and text[j] != c and text[j] != 0x0A:
                j += 2 if text[j] == 0x5C else 1
            j += 1
        else:
            i += 1
            continue
        for k in range(i, min(j, n)):
            if out[k] != 0x0A:
                out[k] = 0x20
        i = j
    return bytes(out)


def identifiers(text: bytes) -> frozenset:
    """Names a span mentions (comments and strings excluded), with `struct X` tags."""
    clean = strip_comments(text)
    names = set()
    for m in _IDENT.finditer(clean):
        w = m.group()
        if w in _KEYWORDS:
            continue
        before = clean[max(0, m.start() - 3):m.start()].rstrip()
        if before.endswith((b"->", b".")) and not before.endswith(b"..."):
            continue                # a struct member, not a file-scope name
        names.add(w.decode())
    for m in re.finditer(rb"\b(struct|union|enum)\s+([A-Za-z_]\w*)", clean):
        names.add(f"{m.group(1).decode()} {m.group(2).decode()}")
    return frozenset(names)


def parse(src: bytes, path: str = "<file>") -> Parsed:
    tree = _parser().parse(src)
    out = Parsed(path, src, tree=tree)
    out.errors = sum(1 for c in tree.root_node.children if c.type == "ERROR")
    _walk(out, tree.root_node)
    for it in out.items:
        for n in it.names:
            out.by_name.setdefault(n, []).append(it)
    return out


def _span_end(src: bytes, node) -> int:
    """End of a node's text without the newline a preprocessor node swallows."""
    end = node.end_byte
    while end > node.start_byte and src[end - 1:end] in (b"\n", b"\r"):
        end -= 1
    return end


def _add(out: Parsed, kind, names, node, params="", start=None, end=None):
    s = node.start_byte if start is None else start
    e = _span_end(out.src, node) if end is None else end
    it = Item(kind, tuple(names), s, e, out.line_of(s), out.line_of(e), identifiers(out.src[s:e]) - set(names),
              params)
    out.items.append(it)
    return it


def _walk(out: Parsed, node):
    for c in node.children:
        t = c.type
        if t == "function_definition":
            name, params = function_name(c)
            if name:
                _add(out, "function", (name,), c, params)
        elif t in ("preproc_def", "preproc_function_def"):
            n = c.child_by_field_name("name")
            if n is not None:
                _add(out, "macro", (n.text.decode(),), c)
        elif t in _CONTAINERS:
            _walk(out, c)
        elif t not in ("comment", ";") and not t.startswith("preproc") and not t.startswith("#"):
            # declarations, typedefs, struct/union/enum bodies, and what a DEFINE_*()
            # line parses as (an expression statement, a macro type specifier, ...)
            names = _declared_names(out.src, c)
            if names:
                kind = "type" if t in ("type_definition", "struct_specifier", "union_specifier",
                                       "enum_specifier") else "decl"
                _add(out, kind, names, c, end=_with_semicolon(out.src, c))


def _with_semicolon(src: bytes, node) -> int:
    """A top-level `struct x {...}` node ends before its `;`: include it."""
    end = node.end_byte
    j = end
    while j < len(src) and src[j:j + 1] in (b" ", b"\t"):
        j += 1
    return j + 1 if src[j:j + 1] == b";" else end


def function_name(fn) -> tuple[str | None, str]:
    d = fn.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator") if d.type != "parenthesized_declarator" else \
            (d.named_children[0] if d.named_children else None)
    if d is None:
        return None, ""
    params = d.child_by_field_name("parameters")
    n = d.child_by_field_name("declarator")
    while n is not None and n.type != "identifier":
        n = n.named_children[0] if n.type == "parenthesized_declarator" and n.named_children else \
            n.child_by_field_name("declarator")
    return (n.text.decode() if n is not None else None), (params.text.decode() if params is not None else "")


def _declared_names(src: bytes, node) -> tuple:
    text = strip_comments(src[node.start_byte:node.end_byte]).decode("utf-8", "replace")
    # DEFINE_MUTEX(x); static DEFINE_PER_CPU(struct t, x) = {...}; -> the last identifier argument
    m = re.match(r"\s*(?:(?:static|extern|const|__\w+)\s+)*([A-Z_][A-Z0-9_]*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)",
                 text)
    if m and m.group(1).isupper():
        if _NON_DEFINING.match(m.group(1)):
            return ()
        args = [a.strip() for a in m.group(2).split(",")]
        ident = re.findall(r"[A-Za-z_]\w*", args[-1]) if args else []
        return (ident[-1],) if ident else ()
    names = []
    for m in re.finditer(r"\b(struct|union|enum)\s+([A-Za-z_]\w*)\s*\{", text):
        names.append(f"{m.group(1)} {m.group(2)}")
    if node.type == "type_definition":
        for d in node.children_by_field_name("declarator"):
            names += _leaf_names(d)
    elif node.type == "declaration":
        for d in node.children_by_field_name("declarator"):
            names += _leaf_names(d)
    elif node.type == "enum_specifier":
        body = node.child_by_field_name("body")
        if body is not None:
            names += [e.child_by_field_name("name").text.decode() for e in body.named_children
                      if e.type == "enumerator" and e.child_by_field_name("name") is not None]
    return tuple(dict.fromkeys(names))


def _leaf_names(d) -> list:
    while d is not None and d.type not in ("identifier", "type_identifier"):
        if d.type == "init_declarator" or d.type in ("pointer_declarator", "array_declarator",
                                                       "function_declarator", "attributed_declarator"):
            d = d.child_by_field_name("declarator")
        elif d.type == "parenthesized_declarator":
            d = d.named_children[0] if d.named_children else None
        else:
            return []
    return [d.text.decode()] if d is not None else []


_MACRO_DECL = re.compile(rb"(?m)^(?:static\s+|extern\s+)?(?:__\w+\s+)*(DEFINE_[A-Z0-9_]+)\s*\(([^;{}]*?)\)\s*"
                         rb"(?:=\s*\{[^;]*?\}\s*)?;")


def scan_declaration(parsed: Parsed, name: str) -> Item | None:
    """Fallback for a file-scope `DEFINE_*(..., name)` line the grammar did not
    frame (a mis-parse after an #ifdef inside an initializer can swallow it)."""
    clean = strip_comments(parsed.src)
    for m in _MACRO_DECL.finditer(clean):
        idents = re.findall(rb"[A-Za-z_]\w*", m.group(2).split(b",")[-1])
        if idents and idents[-1].decode() == name and _depth(clean, m.start()) == 0:
            s, e = m.start(), m.end()
            return Item("decl", (name,), s, e, parsed.line_of(s), parsed.line_of(e),
                        identifiers(parsed.src[s:e]) - {name})
    return None


def _depth(clean: bytes, off: int) -> int:
    return clean.count(b"{", 0, off) - clean.count(b"}", 0, off)


def scan_function(parsed: Parsed, name: str) -> Item | None:
    """Fallback for a function the grammar did not frame: `name(` at line start or
    after a type, its parameter list, then a body found by brace matching."""
    src = parsed.src
    clean = strip_comments(src)
    for m in re.finditer(rb"(?m)^[A-Za-z_][\w \t\*]*\b" + re.escape(name.encode()) + rb"\s*\(", clean):
        i = m.end() - 1
        depth, j = 0, i
        while j < len(clean):
            if clean[j:j + 1] == b"(":
                depth += 1
            elif clean[j:j + 1] == b")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        k = j + 1
        while k < len(clean) and clean[k:k + 1] in b" \t\r\n":
            k += 1
        if clean[k:k + 1] != b"{":
            continue
        depth, e = 0, k
        while e < len(clean):
            ch = clean[e:e + 1]
            if ch == b"{":
                depth += 1
            elif ch == b"}":
                depth -= 1
                if depth == 0:
                    break
            e += 1
        start = m.start()
        it = Item("function", (name,), start, e + 1, parsed.line_of(start), parsed.line_of(e + 1),
                  identifiers(src[start:e + 1]) - {name}, src[i:j + 1].decode("utf-8", "replace"))
        return it
    return None
