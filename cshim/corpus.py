"""The C renditions of the corpus (c_corpus/) and what c_corpus/manifest.json says of each."""
from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "c_corpus"


def entries() -> dict:
    return json.loads((CORPUS / "manifest.json").read_text())["files"]


def corpus_entry(path) -> dict | None:
    """The c_corpus/manifest.json entry of `path`, if it is a corpus file."""
    p = Path(path).resolve()
    if p.parent != CORPUS:
        return None
    return next((e for e in entries().values() if e["file"] == p.name), None)
