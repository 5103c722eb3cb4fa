"""`drainverify cost` on the command line: bad input is a one-line error and exit 2;
a small run writes the JSON, the PNG and SVG figures and a pasteable summary."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # until pyproject lists `cost`

import pytest

from cost import cli, params, report, study

SMALL = ["--cpus", "16", "--workload-cpus", "8,16", "--no-cache", "-j", "1"]


@pytest.mark.parametrize("argv", [
    ["--cpus", "0"], ["--cpus", "-4"], ["--cpus", "8192"], ["--ipi-ns", "-1"], ["--scan-ns", "-0.5"],
    ["--wakeup-ns", "nan"], ["--alloc-ns", "inf"], ["--slab-miss", "2"], ["--zones", "0"], ["--offstack", "maybe"],
    ["--variant", "v9-imaginary"], ["--workload-cpus", "8,x"], ["--workload-cpus", "0"], ["--occupancy-steps", "0"],
    ["--ipi-ns", "fast"],
])
def test_bad_input_is_a_one_line_error_and_exit_2(argv, capsys):
    """Zero or too many CPUs, a negative or non-finite price, a bad probability or name: stderr line, exit 2."""
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("drainverify")


def test_a_small_run_writes_json_and_every_figure_as_png_and_svg(tmp_path, capsys):
    """--json and --plot write the numbers and each figure in both formats."""
    out = tmp_path / "cost.json"
    plots = tmp_path / "plots"
    assert cli.main(SMALL + ["--json", str(out), "--plot", str(plots)]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == study.SCHEMA
    assert doc["configuration"]["cpu_axis"] == [1, 2, 4, 8, 16]
    assert {p["name"] for p in doc["parameters"]} >= {"ipi_ns", "wakeup_ns", "scan_ns", "alloc_ns"}
    assert {w["workload"] for w in doc["workloads"]} == {"hackbench", "pressure", "isolated"}
    for name in report.FIGURES:
        assert (plots / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert "<svg" in (plots / f"{name}.svg").read_text()
    assert "break-even" in capsys.readouterr().out


def test_summary_is_one_pasteable_paragraph(capsys):
    """--summary prints a single paragraph naming where the masked drain pays and where it costs."""
    assert cli.main(SMALL + ["--summary"]) == 0
    text = capsys.readouterr().out.strip()
    assert "\n" not in text
    assert "cheaper than the broadcast" in text and "It costs when every CPU has pages" in text
    assert "isolated" in text and "min watermark" in text


def test_prices_given_on_the_command_line_reach_the_result(tmp_path):
    """An overridden price is the one recorded in the JSON and used for the costs."""
    out = tmp_path / "c.json"
    assert cli.main(SMALL + ["--ipi-ns", "500", "--wakeup-ns", "0", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    got = {p["name"]: p["value"] for p in doc["parameters"]}
    assert got["ipi_ns"] == 500 and got["wakeup_ns"] == 0
    row = doc["sweep"]["v3.2-broadcast"]["16"][0]
    assert row["cost_ns"]["ipi"] == pytest.approx(15 * 500)


def test_add_parser_plugs_into_the_drainverify_subcommands():
    """add_parser() adds a `cost` subcommand whose arguments cmd_cost() takes."""
    top = argparse.ArgumentParser(prog="drainverify")
    sub = top.add_subparsers(dest="cmd")
    cli.add_parser(sub)
    a = top.parse_args(["cost", "--cpus", "8", "--ipi-ns", "900", "--summary"])
    assert a.cmd == "cost" and a.cpus == 8 and a.ipi_ns == 900 and a.summary
    assert cli.params_from(a).ipi_ns == 900


def test_figures_for_html_returns_a_titled_svg_per_figure():
    """figures_for_html() gives (title, SVG text) for every figure, for the HTML report."""
    result = study.compute(params.CostParams(), cpus=8, workload_cpus=(8,))
    figs = report.figures_for_html(result)
    assert len(figs) == len(report.FIGURES)
    for title, svg in figs:
        assert title and svg.lstrip().startswith("<?xml") and "<svg" in svg
