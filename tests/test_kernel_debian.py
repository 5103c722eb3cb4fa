"""Real kernel trees: Debian's linux-source-6.1 and linux-source-6.12, fetched at
test time (kernelsrc/debian.py), checked with no edits, and a review of a
patch generated from the fetched file.  No kernel text is committed: the patches
are text transforms of the fetched file, made here."""
from __future__ import annotations

import difflib
import json

import pytest

from drainverify.cli import main
from kernelsrc.debian import Unavailable, tree


def _tree(version):
    try:
        return tree(version)
    except Unavailable as exc:
        pytest.skip(f"Debian linux-source-{version} unavailable: {exc}")


@pytest.mark.parametrize("version", ["6.1", "6.12"])
def test_debian_tree_checks_unedited_as_the_locked_count_drain(version, tmp_path, capsys):
    """Both Debian trees build as they are, have the shape of v6.11-locked-count, and
    every cell of the full ladder agrees with that variant's manifest row."""
    t = _tree(version)
    out = tmp_path / "k.json"
    rc = main(["check", "--kernel", str(t), "--expect", "auto", "--json", str(out)])
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    (name, k), = data["kernel"].items()
    assert k["shape"] == "v6.11-locked-count" and k["expected_shape"] == "v6.11-locked-count"
    assert [f["name"] for f in k["functions"]][-2:] == ["__drain_all_pages", "drain_all_pages"]
    assert {c["symbol"]: c["value"] for c in k["config"]}["CONFIG_PCP_BATCH_SCALE_MAX"] == "5"
    assert list(data["variants"]) == [name] and name.endswith("/mm/page_alloc.c")
    assert "shape of v6.11-locked-count: 10/10 cells agree" in text
    assert rc == 0, text


def _patch(src_lines, new_lines, path):
    path.write_text("".join(difflib.unified_diff(src_lines, new_lines, "a/mm/page_alloc.c", "b/mm/page_alloc.c")))
    return path


def _drain_pages_zone(lines):
    return next(i for i, l in enumerate(lines) if l.startswith("static void drain_pages_zone("))


def test_review_of_moving_the_count_read_out_of_the_lock_reports_the_regression(tmp_path, capsys):
    """Reading pcp->count before pcp->lock again (the pre-66eca1021a42 race) in the real
    6.12 file: disabled_pcp_left_empty goes from held to REFUTED, with a counterexample."""
    t = _tree("6.12")
    lines = (t / "mm" / "page_alloc.c").read_text().splitlines(keepends=True)
    new = list(lines)
    start = _drain_pages_zone(lines)
    i = next(i for i in range(start, start + 30) if "count = pcp->count;" in lines[i] and "lock" in lines[i - 1])
    new[i - 1], new[i] = lines[i], lines[i - 1]             # read count, then take the lock
    patch = _patch(lines, new, tmp_path / "revert.patch")
    out = tmp_path / "review.json"
    rc = main(["review", str(patch), "--kernel", str(t), "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 1, text
    data = json.loads(out.read_text())
    diff = {d["property"]: d for d in data["diff"]}
    assert diff["disabled_pcp_left_empty"]["before"] in ("bounded", "proved")
    assert diff["disabled_pcp_left_empty"]["after"] == "refuted" and diff["disabled_pcp_left_empty"]["regression"]
    assert [p for p, d in diff.items() if d["regression"]] == ["disabled_pcp_left_empty"]
    (row,) = data["after"]["variants"].values()
    assert row["disabled_pcp_left_empty"]["counterexample"]["violation"].endswith("+ drain returned")
    assert "disabled_pcp_left_empty    bounded     REFUTED  <== regression" in text
    assert "stranded" in text and "v6.11-locked-count -> v6.0-remote-lock" in text


def test_review_of_a_comment_only_patch_says_nothing_changed(tmp_path, capsys):
    """A patch that edits only comments (inside the drain's own body too) exits 0
    without checking anything."""
    t = _tree("6.12")
    lines = (t / "mm" / "page_alloc.c").read_text().splitlines(keepends=True)
    new = list(lines)
    start = _drain_pages_zone(lines)
    new[start - 2] = new[start - 2].replace("indicated", "given")
    j = next(i for i in range(start, start + 30) if "count = pcp->count;" in lines[i])
    new[j] = new[j].rstrip("\n") + "\t/* read under the lock */\n"
    patch = _patch(lines, new, tmp_path / "comment.patch")
    rc = main(["review", str(patch), "--kernel", str(t)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "leaves the drain's code unchanged" in text and "property" not in text
