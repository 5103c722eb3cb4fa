"""C code that crashes, aborts, spins or does not compile gets a verdict or a clear
error -- never a hang of the checker or a Python traceback (cshim, docs/c-shim.md).

Each file here is tiny and is swept on a one-CPU, no-page bound with `returns`
only: the first scenario already calls the drain, and a refuted `returns` stops
the sweep.
"""
from __future__ import annotations

import time

import pytest

import cshim
from drainverify.cli import main as cli_main
from model.explore import Bound, sweep
from model.properties import BY_NAME

TINY = Bound(cpus=1, pages=0, callers=1, ops=0, size=1)


def _returns_verdict(tmp_path, name, text, api="v3.2", **kw):
    f = tmp_path / f"{name}.c"
    f.write_text(text)
    v = cshim.load(f, api, **kw)
    try:
        r = sweep(v, TINY, False, props=[BY_NAME["returns"]])
    finally:
        v.close()
    return r.findings.get("returns")


def test_a_segfault_refutes_returns_with_the_signal_and_the_c_step(tmp_path):
    """A NULL dereference after on_each_cpu() (six primitives: online mask, IPI, IRQs off,
    two zone drains, IRQs on) is `crashed at step 6: SIGSEGV`."""
    f = _returns_verdict(tmp_path, "segv", """
void drain_all_pages(void)
{
	int *p = NULL;

	on_each_cpu(drain_local_pages, NULL, 1);
	*p = 1;
}
""")
    assert f is not None
    assert "crashed at step 6: SIGSEGV at address" in f.text


def test_bug_on_refutes_returns_naming_the_condition_and_the_line(tmp_path):
    """BUG_ON(1) aborts the child; the verdict names BUG_ON(1) and file:line."""
    f = _returns_verdict(tmp_path, "bug", """#include <linux/mm.h>
void drain_all_pages(void)
{
	BUG_ON(1);
}
""")
    assert f is not None
    assert "crashed at step 0: SIGABRT: BUG_ON(1) at bug.c:4" in f.text


def test_a_loop_without_a_scheduling_point_is_cut_by_the_watchdog(tmp_path):
    """A spin that never calls a primitive is killed after the timeout: `did not return within 1 s`."""
    t0 = time.perf_counter()
    f = _returns_verdict(tmp_path, "spin", """
void drain_all_pages(void)
{
	volatile int stop = 0;

	while (!stop)
		cpu_relax();
}
""", timeout=1.0)
    assert f is not None and "did not return within 1 s" in f.text
    assert time.perf_counter() - t0 < 30


def test_a_loop_through_primitives_hits_the_models_step_limit(tmp_path):
    """A loop whose every turn is a scheduling point is judged by the model's step limit."""
    f = _returns_verdict(tmp_path, "busy", """
void drain_all_pages(void)
{
	while (!cpumask_test_cpu(1, cpu_online_mask))
		;
}
""")
    assert f is not None and "did not return within 400 steps" in f.text


def test_an_ipi_argument_on_the_callers_stack_is_refused_with_a_reason(tmp_path):
    """The handler runs in another process, so a stack pointer as IPI info is a shim error."""
    f = _returns_verdict(tmp_path, "stackinfo", """
static void noop(void *info)
{
}

void drain_all_pages(void)
{
	int local = 0;

	on_each_cpu(noop, &local, 1);
}
""")
    assert f is not None and "cshim: the info pointer" in f.text and "stack or heap" in f.text


def test_a_file_that_does_not_compile_raises_build_error_with_the_compilers_errors(tmp_path):
    """An unknown kernel function and a syntax error come back as the compiler's own lines."""
    f = tmp_path / "broken.c"
    f.write_text("void drain_all_pages(void)\n{\n\tno_such_kernel_call(1);\n\tint y = ;\n}\n")
    with pytest.raises(cshim.BuildError) as exc:
        cshim.load(f, "v3.2")
    errs = "\n".join(exc.value.errors)
    assert "broken.c:3" in errs and "no_such_kernel_call" in errs
    assert "broken.c:4" in errs


def test_a_missing_entry_function_is_a_build_error(tmp_path):
    """Naming an entry the file does not define fails at load, not during the sweep."""
    f = tmp_path / "noentry.c"
    f.write_text("void something_else(void)\n{\n}\n")
    with pytest.raises(cshim.BuildError, match="entry function 'drain_all_pages' is not defined"):
        cshim.load(f, "v3.2")


def test_check_c_prints_compiler_errors_and_exits_2(tmp_path, capsys):
    """The CLI path reports a build failure as bad input (exit 2) with the compiler's lines."""
    f = tmp_path / "broken.c"
    f.write_text("void drain_all_pages(void)\n{\n\tint y = ;\n}\n")
    assert cli_main(["check", "--c", str(f), "--api", "v3.2", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert "does not build against the v3.2 shim" in err and "broken.c:3" in err


def test_check_c_completes_the_row_of_a_crashing_file(tmp_path, capsys):
    """A crash refutes `returns`; every other cell of the row still gets a verdict."""
    f = tmp_path / "segv.c"
    f.write_text("void drain_all_pages(void)\n{\n\t*(volatile int *)0 = 1;\n}\n")
    rc = cli_main(["check", "--c", str(f), "--api", "v3.2", "--offstack", "n", "--cpus", "1", "--pages", "1",
                   "--callers", "1", "--size", "2", "-j", "1"])
    assert rc == 1
    text = capsys.readouterr().out
    assert "SIGSEGV" in text and "returns" in text
    row = text.splitlines()[1]
    assert "REFUTED" in row and row.count("!") >= 1
