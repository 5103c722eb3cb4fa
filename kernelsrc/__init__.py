"""The real kernel as input: `drainverify check --kernel TREE|page_alloc.c` and `review`.

Layers: `source` (find and read the file), `parse` (tree-sitter), `extract` (the
drain and what it needs), `detect` (the API from the code), `kconfig` (CONFIG
values), `shape` (which corpus variant it looks like), `headers` (vendor types),
`unit` (the extracted C unit, built by the C shim), `impl` (the unit as an
`--impl` spec), `patch` and `review` (a patch checked before and after).
"""
from .source import KernelInputError  # noqa: F401
