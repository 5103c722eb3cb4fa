"""The kernel front end (kernelsrc) on the synthetic page_alloc.c-like fixtures of
tests/fixtures/kernel/: what it extracts, what it detects, which shape it names,
the CONFIG values it uses, and how it refuses bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from drainverify.cli import main
from kernelsrc.unit import prepare

FIX = Path(__file__).resolve().parent / "fixtures" / "kernel"

SHAPES = {
    "v3.0-broadcast": "v3.2-broadcast", "v3.4-static-mask": "v3.4-static-mask", "v3.19-zone": "v3.19-zone",
    "v4.9-vendor-voidp": "v3.19-zone", "v4.9-rt-isolate": "v3.19-zone", "v4.11-wq-mutex": "v4.11-wq-mutex", "v4.19-wq-bulk-count": "v4.11-wq-mutex",
    "v5.4-pcpu-drain": "v5.1-pcpu-drain", "v5.11-force-all": "v5.11-force-all",
    "v5.15-local-lock": "v5.14-local-lock", "v5.18-local-lock-pindex": "v5.14-local-lock",
    "v6.0-remote-irqsave": "v6.0-remote-lock", "v6.6-remote-lock": "v6.0-remote-lock",
    "v6.10-batched-unlocked": "v6.0-remote-lock", "v6.11-locked-count": "v6.11-locked-count",
    "v6.19-maybe-irqsave": "v6.11-locked-count",
}


def test_every_fixture_has_an_expected_shape():
    """The table above names every fixture file (a new fixture must say its shape)."""
    assert sorted(SHAPES) == sorted(p.stem for p in FIX.glob("*.c"))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_fixture_builds_unedited_and_has_its_shape(name):
    """The whole file goes in; the drain is extracted, built under the shim, and
    matched to the corpus variant of its era."""
    prep = prepare(FIX / f"{name}.c")
    assert prep.shape == SHAPES[name], prep.shape_why
    names = [f.name for f in prep.extract.functions]
    assert "drain_all_pages" in names
    assert "free_pcppages_bulk" not in names and "zone_pcp_disable" not in names   # the model's
    assert "free_pcppages_bulk" in prep.extract.supplied
    if name == "v4.9-rt-isolate":
        assert prep.era.bulk_list and "isolate_pcp_pages" in prep.extract.supplied and "isolate_pcp_pages" not in names


def test_the_api_is_read_from_the_code_with_the_line_that_shows_it():
    """Who resets count, the bulk-free arity, the pcp layout and the locks come from the code."""
    old = prepare(FIX / "v4.11-wq-mutex.c").era
    new = prepare(FIX / "v4.19-wq-bulk-count.c").era
    assert not old.bulk_updates_count and new.bulk_updates_count
    assert old.work_items and not old.work_zone and not old.per_cpu_pageset
    e = prepare(FIX / "v5.18-local-lock-pindex.c").era
    assert e.per_cpu_pageset and e.local_lock and e.bulk_pindex and e.work_zone and not e.pcp_lock
    e = prepare(FIX / "v6.0-remote-irqsave.c").era
    assert e.pcp_lock and not e.locked_count and not e.work_items
    vendor = prepare(FIX / "v4.9-vendor-voidp.c")
    assert vendor.era.zone_arg and not vendor.era.local_zone_arg
    ev = {n: why for n, on, why in vendor.detected.evidence}
    assert "drain_local_pages(void *z)" in ev["local_zone_arg"]


def test_a_wrong_era_gives_a_wrong_verdict_which_is_why_the_api_is_detected(capsys):
    """The 4.17 change: checked with the rule of v4.11 (the caller resets count), a
    4.19-shape drain never resets count and conservation is refuted; detected, it holds."""
    f = str(FIX / "v4.19-wq-bulk-count.c")
    assert main(["check", "--kernel", f, "--property", "conservation", "--api", "v4.11"]) == 1
    assert "count=1 but its list holds 0 page(s)" in capsys.readouterr().out
    assert main(["check", "--kernel", f, "--property", "conservation"]) == 0


def test_the_report_names_the_files_functions_with_lines_and_what_the_model_supplies(capsys):
    rc = main(["check", "--kernel", str(FIX / "v6.19-maybe-irqsave.c"), "--property", "returns"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "from the file: __flags_noop() lines" in out and "drain_pages_zone() lines" in out
    assert "its macros: pcp_spin_lock_maybe_irqsave" in out
    assert "its definitions: pcpu_drain_mutex (line" in out
    assert "from the model: the free path" in out
    assert "+ locked_count: drain_pages_zone() reads count after taking the lock" in out
    assert "CONFIG_PCP_BATCH_SCALE_MAX=5 (stated default" in out and "CONFIG_SMP=y (fixed" in out
    assert any(l.startswith("v6.19-maybe-irqsave.c ") for l in out.splitlines())   # the row is named after the file


def test_kconfig_defaults_come_from_the_tree_and_define_overrides(tmp_path, capsys):
    """mm/Kconfig's default is used when the tree has one; --define wins; a tree whose
    Kconfig lacks a symbol the drain needs as a value is refused, naming it."""
    t = tmp_path / "tree"
    (t / "mm").mkdir(parents=True)
    (t / "mm" / "page_alloc.c").write_text((FIX / "v6.11-locked-count.c").read_text())
    (t / "mm" / "Kconfig").write_text("config PCP_BATCH_SCALE_MAX\n\tint \"batch scale\"\n\trange 0 6\n\tdefault 3\n")
    prep = prepare(t)
    assert {v.symbol: (v.value, v.origin) for v in prep.config}["CONFIG_PCP_BATCH_SCALE_MAX"] == \
        ("3", "mm/Kconfig default")
    prep = prepare(t, defines={"CONFIG_PCP_BATCH_SCALE_MAX": "1"})
    assert {v.symbol: v.value for v in prep.config}["CONFIG_PCP_BATCH_SCALE_MAX"] == "1"
    (t / "mm" / "Kconfig").write_text("config SOMETHING_ELSE\n\tbool\n\tdefault y\n")
    rc = main(["check", "--kernel", str(t), "--property", "returns"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "CONFIG_PCP_BATCH_SCALE_MAX" in err and "--define CONFIG_PCP_BATCH_SCALE_MAX=N" in err
    assert "mm/page_alloc.c:" in err


@pytest.mark.parametrize("case, expect", [
    ("missing", "no such file or directory"),
    ("tree-without-file", "has no mm/page_alloc.c"),
    ("no-drain", "defines no drain_all_pages()"),
    ("macro-drain", "defined through the macro DEFINE_DRAIN()"),
    ("binary", "binary file"),
    ("latin1", "not UTF-8"),
    ("pre-3.0", "pre-3.0 API"),
    ("undefined-helper", "uses vendor_pcp_of"),
])
def test_bad_kernel_input_is_one_line_and_exit_2(case, expect, tmp_path, capsys):
    p = tmp_path / "page_alloc.c"
    good = (FIX / "v3.19-zone.c").read_text()
    if case == "missing":
        p = tmp_path / "nope"
    elif case == "tree-without-file":
        (tmp_path / "tree" / "mm").mkdir(parents=True)
        p = tmp_path / "tree"
    elif case == "no-drain":
        p.write_text("static int x;\nvoid unrelated(void)\n{\n}\n")
    elif case == "macro-drain":
        p.write_text("#define DEFINE_DRAIN(n) void n(void) { }\nDEFINE_DRAIN(drain_all_pages);\n")
    elif case == "binary":
        p.write_bytes(b"\x7fELF\x00\x01\x02" * 10)
    elif case == "latin1":
        p.write_bytes(good.encode().replace(b"Spill all", "Spill \xe0ll".encode("latin-1"), 1))
    elif case == "pre-3.0":
        p.write_text(good.replace("on_each_cpu_mask(&cpus_with_pcps, (smp_call_func_t) drain_local_pages,\n"
                                  "\t\t\t\t\t\t\t\tzone, 1);", "on_each_cpu(drain_local_pages, zone, 1, 1);"))
    elif case == "undefined-helper":
        p.write_text(good.replace("pset = per_cpu_ptr(zone->pageset, cpu);",
                                  "pset = vendor_pcp_of(zone, cpu);"))
    rc = main(["check", "--kernel", str(p)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert expect in err, err


def _series(tmp_path, *patches, cover=True):
    """An mbox of git format-patch messages (with a cover letter)."""
    msgs = []
    n = len(patches)
    if cover:
        msgs.append(f"From 0000 Mon Sep 17 00:00:00 2001\nFrom: A Developer <a@example.org>\n"
                    f"Subject: [PATCH 0/{n}] mm: drain tweaks\n\nThis series only moves things.\n")
    for i, (subject, diff) in enumerate(patches, 1):
        msgs.append(f"From {i:04x} Mon Sep 17 00:00:00 2001\nFrom: A Developer <a@example.org>\n"
                    f"Subject: [PATCH {i}/{n}] {subject}\n\n{subject}\n---\n{diff}\n")
    f = tmp_path / "series.mbox"
    f.write_text("\n".join(msgs))
    return f


def _diff(old: str, new: str) -> str:
    import difflib
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        "a/mm/page_alloc.c", "b/mm/page_alloc.c"))


def test_review_of_an_mbox_series_applies_every_patch_in_order(tmp_path, capsys):
    """A cover letter is skipped; patch 2 applies on top of patch 1; forcing the disable
    path to skip the force flag is a regression of disabled_pcp_left_empty."""
    base = (FIX / "v5.11-force-all.c").read_text()
    f = tmp_path / "page_alloc.c"
    f.write_text(base)
    step1 = base.replace("/* work_structs for global per-cpu drains */", "/* per-cpu drain work */")
    step2 = step1.replace("\t__drain_all_pages(zone, true);\n}", "\t__drain_all_pages(zone, false);\n}")
    assert step2 != step1
    mbox = _series(tmp_path, ("mm: reword a comment", _diff(base, step1)),
                   ("mm: do not force the drain", _diff(step1, step2)))
    rc = main(["review", str(mbox), "--kernel", str(f), "--property", "disabled_pcp_left_empty"])
    out = capsys.readouterr().out
    assert "patch 1/2: [PATCH 1/2] mm: reword a comment" in out and "patch 2/2" in out
    assert rc == 2       # zone_pcp_disable() is the model's: changing it is refused, not judged
    step2 = step1.replace("has_pcps = true;\n\t\t} else if (zone) {", "has_pcps = false;\n\t\t} else if (zone) {")
    assert step2 != step1
    mbox = _series(tmp_path, ("mm: reword a comment", _diff(base, step1)),
                   ("mm: trust the racy count", _diff(step1, step2)))
    capsys.readouterr()
    rc = main(["review", str(mbox), "--kernel", str(f), "--property", "disabled_pcp_left_empty"])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "disabled_pcp_left_empty" in out and "REFUTED  <== regression" in out


def test_review_refuses_a_patch_that_changes_a_function_the_model_supplies(tmp_path, capsys):
    base = (FIX / "v6.11-locked-count.c").read_text()
    f = tmp_path / "page_alloc.c"
    f.write_text(base)
    new = base.replace("\tcount = min(pcp->count, count);\n", "\tcount = max(pcp->count, count);\n", 1)
    assert new != base
    (tmp_path / "p.diff").write_text(_diff(base, new))
    rc = main(["review", str(tmp_path / "p.diff"), "--kernel", str(f)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "changes free_pcppages_bulk() (line" in err and "which the model supplies" in err


def test_review_names_the_first_hunk_that_does_not_apply(tmp_path, capsys):
    base = (FIX / "v6.11-locked-count.c").read_text()
    f = tmp_path / "page_alloc.c"
    f.write_text(base)
    other = base.replace("static void drain_pages(unsigned int cpu)", "static void drain_pages(int cpu)")
    diff = _diff(base, other).replace("static void drain_pages(unsigned int cpu)", "static void drain_pgs(unsigned int cpu)")
    (tmp_path / "bad.diff").write_text(diff)
    rc = main(["review", str(tmp_path / "bad.diff"), "--kernel", str(f)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "does not apply: its first failing hunk is @@ -" in err


def test_review_of_a_file_that_is_not_a_patch_or_only_a_cover_letter_is_refused(tmp_path, capsys):
    f = tmp_path / "page_alloc.c"
    f.write_text((FIX / "v6.11-locked-count.c").read_text())
    (tmp_path / "notes.txt").write_text("just some notes\n")
    assert main(["review", str(tmp_path / "notes.txt"), "--kernel", str(f)]) == 2
    assert "not a patch" in capsys.readouterr().err
    mbox = _series(tmp_path)
    assert main(["review", str(mbox), "--kernel", str(f)]) == 2
    assert "only a cover letter" in capsys.readouterr().err


def test_every_check_flag_works_for_a_kernel_file(tmp_path, capsys):
    """--kernel goes through the same path as every other subject: JSON, JUnit, KTAP,
    saved regressions and -j all see its row, named after the file."""
    f = str(FIX / "v3.4-static-mask.c")
    js, xml, reg = tmp_path / "m.json", tmp_path / "r.xml", tmp_path / "reg"
    rc = main(["check", "--kernel", f, "--expect", "auto", "--property", "entry_snapshot_drained",
               "--json", str(js), "--junit", str(xml), "--save-regressions", str(reg), "-j", "1"])
    assert rc == 0
    data = json.loads(js.read_text())
    assert list(data["variants"]) == ["v3.4-static-mask.c"]
    assert data["kernel"]["v3.4-static-mask.c"]["expected_shape"] == "v3.4-static-mask"
    assert data["kernel"]["v3.4-static-mask.c"]["expected_row"]["entry_snapshot_drained"] == "refuted"
    assert 'testsuite name="v3.4-static-mask.c"' in xml.read_text()
    saved = list(reg.glob("*.json"))
    assert [p.name for p in saved] == ["v3.4-static-mask.c.entry_snapshot_drained.json"]
    art = json.loads(saved[0].read_text())
    assert art["subject"] == "v3.4-static-mask.c" and art["replay"].startswith(f"drainverify check --kernel {f}")
    capsys.readouterr()
    assert main(["check", "--kernel", f, "--expect", "auto", "--property", "returns", "--ktap"]) == 0
    assert "v3.4-static-mask.c" in capsys.readouterr().out


TREES = Path(__file__).resolve().parent / "fixtures" / "kernel-trees"


def test_a_vendor_type_from_the_trees_headers_is_taken_in_and_the_container_placed_in_the_slot():
    """An Android-style drain through struct per_cpu_pages_ext: the struct and its
    accessor come from the tree's include/linux/mmzone.h, the embedded pcp's count is
    what the scan reads, and the verdicts are the v6.0 remote drain's."""
    prep = prepare(TREES / "android13-5.15-ext")
    assert prep.shape == "v6.0-remote-lock"
    assert [(n, p) for n, p, _ in prep.header_items] == [
        ("struct per_cpu_pages_ext", "include/linux/mmzone.h"), ("zone_per_cpu_pageset", "include/linux/mmzone.h")]
    assert prep.era.pcp_lock and prep.era.per_cpu_pageset and not prep.era.bulk_pindex
    assert "#define CSHIM_PCP_CONTAINER struct per_cpu_pages_ext" in prep.unit.read_text()


def test_the_same_vendor_file_alone_is_refused_naming_the_missing_helper(tmp_path, capsys):
    lone = tmp_path / "page_alloc.c"
    lone.write_text((TREES / "android13-5.15-ext" / "mm" / "page_alloc.c").read_text())
    assert main(["check", "--kernel", str(lone)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "page_alloc.c:180: the drain uses zone_per_cpu_pageset" in err and "pass the tree" in err
