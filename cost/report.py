"""Reporting the cost study: plots (PNG and SVG), `figures_for_html()`, the
reviewer's summary paragraph and a plain-text table.

Every figure is drawn from the result document of `cost.study.compute()` alone
(the JSON written by `--json` holds the same numbers), so a figure can be redrawn
from a saved JSON.  matplotlib is imported only when a figure is drawn.

Figures:

* `breakeven`   -- left: for each variant, the occupancy (fraction of CPUs with pcp
                   pages) below which it is cheaper than the broadcast when every CPU
                   is busy (Mel Gorman's case), over the CPU count; right: when the
                   empty CPUs idle in a C-state (wake-ups priced), how many empty CPUs
                   it takes for the variant to pay, (1 - break-even) x CPUs.
* `cost_vs_occupancy` -- expected ns per drain at the largest CPU count, per variant.
* `seed_vs_broadcast` -- log2(cost of the seed / cost of the broadcast) over CPUs x
                   occupancy (blue: the seed is cheaper), with its break-even line.
* `workloads`   -- CPUs the drain interrupts, idle CPUs it disturbs and reserve pages
                   it takes, per variant per workload.
* `occupancy`   -- the pcp pages per CPU each workload leaves when the drain starts.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

from . import variants as cv
from .study import interp

FIGURES = ("breakeven", "cost_vs_occupancy", "seed_vs_broadcast", "workloads", "occupancy")
SEED = "v4-zalloc-fallback"
STYLE = {  # variant -> (colour, marker)
    "v3.2-broadcast": ("#000000", "s"), "v4-zalloc-fallback": ("#1f77b4", "o"), "mel-two-pass": ("#d62728", "D"),
    "v3.4-static-mask": ("#2ca02c", "^"), "v4.11-wq-mutex": ("#9467bd", "v"), "v6.11-locked-count": ("#ff7f0e", "P"),
}


class PlotUnavailable(RuntimeError):
    pass


def _plt():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PlotUnavailable("plots need matplotlib: pip install 'matplotlib>=3.7,<4'") from exc
    matplotlib.rcParams["svg.hashsalt"] = "drainverify-cost"
    matplotlib.rcParams["svg.fonttype"] = "none"
    return plt


def _style(vn):
    return STYLE.get(vn, ("#7f7f7f", "x"))


def _cfg(result):
    return result["configuration"]


def _largest_workloads(result):
    sizes = sorted({w["cpus"] for w in result["workloads"]})
    top = sizes[-1] if sizes else None
    return [w for w in result["workloads"] if w["cpus"] == top]


# --- figures ---------------------------------------------------------------------------

def fig_breakeven(result, plt):
    cfg = _cfg(result)
    xs = [n for n in cfg["cpu_axis"] if n >= 2]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5))
    for vn, per_n in result["break_even"].items():
        col, mk = _style(vn)
        busy = [per_n[str(n)]["busy"]["pays_below"] for n in xs]
        a1.plot(xs, busy, "-", color=col, marker=mk, ms=4, label=vn)
        need = [max((1.0 - per_n[str(n)]["idle"]["pays_below"]) * n, 1e-2) for n in xs]
        a2.plot(xs, need, "-", color=col, marker=mk, ms=4, label=vn)
    for ax in (a1, a2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs)
        ax.set_xticklabels([str(n) for n in xs], rotation=45)
        ax.set_xlabel("online CPUs")
        ax.grid(alpha=0.3)
    a1.set_ylim(-0.02, 1.02)
    a1.set_ylabel("fraction of CPUs with pcp pages")
    a1.set_title("every CPU busy: the variant pays below its line", fontsize=10)
    a2.set_yscale("log")
    a2.axhline(1.0, color="grey", lw=0.8, ls=":")
    a2.set_ylabel("empty (idle) CPUs needed for the variant to pay")
    a2.set_title("empty CPUs idle in C6: it pays above its line", fontsize=10)
    a1.legend(fontsize=7, loc="lower right")
    fig.suptitle("Break-even of each variant against on_each_cpu() (v3.2-broadcast)")
    fig.tight_layout()
    return fig


def fig_cost_vs_occupancy(result, plt):
    cfg = _cfg(result)
    n = cfg["cpu_axis"][-1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, title in ((axes[0], "idle", "empty CPUs idle (wake-ups priced)"),
                           (axes[1], "busy", "every CPU busy")):
        for vn, per_n in result["sweep"].items():
            rows = per_n[str(n)]
            col, mk = _style(vn)
            xs = [r["fraction"] for r in rows]
            ys = [(r["cost_ns"]["total"] if key == "idle" else r["cost_busy_ns"]) / 1000.0 for r in rows]
            ax.plot(xs, ys, "-", color=col, marker=mk, ms=4, label=vn)
        ax.set_title(f"{title}, {n} CPUs", fontsize=10)
        ax.set_xlabel("fraction of CPUs with pcp pages")
        ax.set_ylabel("expected cost of one drain (us of CPU time)")
        if key == "idle":
            ax.set_yscale("symlog", linthresh=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.suptitle("Expected cost of one drain_all_pages() vs occupancy")
    fig.tight_layout()
    return fig


def _ratio_grid(result, vn, key, nrows=16):
    cfg = _cfg(result)
    axis = [n for n in cfg["cpu_axis"] if n >= 2]
    fr = [i / nrows for i in range(nrows + 1)]
    grid = []
    for f in fr:
        row = []
        for n in axis:
            rv, rb = result["sweep"][vn][str(n)], result["sweep"][cv.BASELINE][str(n)]
            get = (lambda r: r["cost_ns"]["total"]) if key == "idle" else (lambda r: r["cost_busy_ns"])
            cv_ = interp([r["fraction"] for r in rv], [get(r) for r in rv], f)
            cb = interp([r["fraction"] for r in rb], [get(r) for r in rb], f)
            row.append(math.log2(cv_ / cb) if cv_ > 0 and cb > 0 else 0.0)
        grid.append(row)
    return axis, fr, grid


def fig_seed_vs_broadcast(result, plt):
    from matplotlib.colors import TwoSlopeNorm
    vn = SEED if SEED in result["sweep"] else next(v for v in result["sweep"] if v != cv.BASELINE)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, title in ((axes[0], "idle", "empty CPUs idle"), (axes[1], "busy", "every CPU busy")):
        axis, fr, grid = _ratio_grid(result, vn, key)
        lim = max(0.05, max(abs(v) for row in grid for v in row))
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdBu_r",
                       norm=TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim),
                       extent=(-0.5, len(axis) - 0.5, -0.5 / 16, 1 + 0.5 / 16))
        be = [result["break_even"][vn][str(n)][key]["pays_below"] for n in axis]
        ax.plot(range(len(axis)), be, "k-", lw=1.5, label="break-even")
        ax.set_xticks(range(len(axis)))
        ax.set_xticklabels([str(n) for n in axis], rotation=45)
        ax.set_xlabel("online CPUs")
        ax.set_ylabel("fraction of CPUs with pcp pages")
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, label=f"log2(cost {vn} / cost broadcast)")
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{vn} vs v3.2-broadcast: blue = the masked drain pays")
    fig.tight_layout()
    return fig


def fig_workloads(result, plt):
    wls = _largest_workloads(result)
    names = [w["workload"] for w in wls]
    vnames = list(result["configuration"]["variants"])
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.5))
    width = 0.8 / max(1, len(vnames))
    metrics = (("deliveries", "CPUs interrupted (IPI or work item)"),
               ("idle_disturbed", "idle CPUs disturbed"),
               ("reserve_pages", "pages taken below the min watermark (slab miss)"))
    for ax, (m, label) in zip(axes, metrics):
        for j, vn in enumerate(vnames):
            col, _ = _style(vn)
            ys = []
            for w in wls:
                r = w["variants"][vn]
                ys.append(r["reserve_pages"] if m == "reserve_pages" else r["expected"][m])
            xs = [i + (j - (len(vnames) - 1) / 2) * width for i in range(len(wls))]
            bars = ax.bar(xs, ys, width, color=col, label=vn)
            ax.bar_label(bars, labels=[f"{y:.0f}" if y == int(y) else f"{y:.1f}" for y in ys], fontsize=6,
                         rotation=90, padding=2)
        ax.set_xticks(range(len(wls)))
        ax.set_xticklabels(names)
        ax.set_ylabel(label)
        ax.set_title(label, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    n = wls[0]["cpus"] if wls else 0
    fig.suptitle(f"Per drain, per workload, {n} CPUs (expected values)")
    fig.tight_layout()
    return fig


def fig_occupancy(result, plt):
    wls = _largest_workloads(result)
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(1, len(wls))
    keys = sorted({int(k) for w in wls for k in w["occupancy"]})
    for j, w in enumerate(wls):
        ys = [w["occupancy"].get(str(k), 0) / w["cpus"] for k in keys]
        xs = [i + (j - (len(wls) - 1) / 2) * width for i in range(len(keys))]
        ax.bar(xs, ys, width, label=f"{w['workload']} ({100 * w['nonempty_fraction']:.0f}% non-empty)")
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([str(k) for k in keys])
    ax.set_xlabel("pcp pages on the CPU when the drain starts")
    ax.set_ylabel("fraction of CPUs")
    n = wls[0]["cpus"] if wls else 0
    ax.set_title(f"Occupancy each workload leaves ({n} CPUs)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


_DRAW = {"breakeven": fig_breakeven, "cost_vs_occupancy": fig_cost_vs_occupancy,
         "seed_vs_broadcast": fig_seed_vs_broadcast, "workloads": fig_workloads, "occupancy": fig_occupancy}
TITLES = {
    "breakeven": "Break-even occupancy of each variant against the broadcast",
    "cost_vs_occupancy": "Expected cost of one drain vs occupancy (largest CPU count)",
    "seed_vs_broadcast": "The seed against the broadcast over CPUs x occupancy",
    "workloads": "CPUs interrupted, idle CPUs disturbed, reserve pages: per variant per workload",
    "occupancy": "Occupancy distribution each workload produces",
}


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def figures_for_html(result) -> list[tuple[str, str]]:
    """(title, SVG text) of every figure, for the HTML report."""
    plt = _plt()
    out = []
    for name in FIGURES:
        fig = _DRAW[name](result, plt)
        out.append((TITLES[name], _svg(fig)))
        plt.close(fig)
    return out


def write_plots(result, directory) -> list[Path]:
    """Write every figure as DIR/<name>.png and DIR/<name>.svg; return the paths."""
    plt = _plt()
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in FIGURES:
        fig = _DRAW[name](result, plt)
        png, svg = d / f"{name}.png", d / f"{name}.svg"
        fig.savefig(png, dpi=110)
        svg.write_text(_svg(fig))
        plt.close(fig)
        paths += [png, svg]
    return paths


# --- text ------------------------------------------------------------------------------

def _param(result, name):
    return next(p["value"] for p in result["parameters"] if p["name"] == name)


def _pct(x):
    return f"{100 * x:.0f}%"


def _pages(x):
    return f"{x:g} page" + ("" if x == 1 else "s")


def _row_at(result, vn, n, frac):
    rows = result["sweep"][vn][str(n)]
    return min(rows, key=lambda r: abs(r["fraction"] - frac))


def summary(result) -> str:
    """One paragraph: where the masked drain pays and where it costs."""
    cfg = _cfg(result)
    axis = cfg["cpu_axis"]
    big = axis[-1]
    small = next((n for n in axis if n >= 8), big)
    zones = cfg["zones"]
    ipi, wake, scan, alloc = (_param(result, k) for k in ("ipi_ns", "wakeup_ns", "scan_ns", "alloc_ns"))
    seed = SEED if SEED in result["break_even"] else next(iter(result["break_even"]), None)
    parts = [f"Priced at {ipi:g} ns per CPU interrupted, {wake / 1000:g} us per idle CPU woken, "
             f"{scan:g} ns per pcp->count load ({zones} zone{'s' if zones > 1 else ''} per CPU) and "
             + (f"{alloc:g} ns per mask allocation (OFFSTACK=y)" if cfg["offstack"] == "y" else
                "no mask allocation (OFFSTACK=n: the mask is on the stack)")
             + ", with counts from the model"]
    if seed is None:
        return parts[0] + "."
    be = result["break_even"][seed]
    b_s, b_b = be[str(small)]["busy"]["pays_below"], be[str(big)]["busy"]["pays_below"]
    i_b = be[str(big)]["idle"]["pays_below"]
    span = (f"about {_pct(b_b)} of the CPUs hold pcp pages at any size from {small} to {big} CPUs"
            if abs(b_s - b_b) < 0.02 else
            f"{_pct(b_s)} ({small} CPUs) to {_pct(b_b)} ({big} CPUs) of the CPUs hold pcp pages")
    need = (1 - i_b) * big
    when_idle = ("as soon as a single CPU is empty and idle in a C-state" if need < 1 else
                 f"whenever more than {need:.0f} of the {big} CPUs are empty and idle in a C-state")
    parts.append(f"{seed} is cheaper than the broadcast while fewer than {span} if every CPU is busy, and "
                 f"{when_idle} (one avoided wake-up pays for "
                 f"scanning {wake / max(scan * zones, 1e-9):.0f} CPUs); the scan grows with the CPU count as fast "
                 f"as the IPIs it saves, so more CPUs do not move the break-even")
    full_v, full_b = _row_at(result, seed, big, 1.0), _row_at(result, cv.BASELINE, big, 1.0)
    extra = full_v["cost_busy_ns"] - full_b["cost_busy_ns"]
    hb = next((w for w in _largest_workloads(result) if w["workload"] == "hackbench"), None)
    hb_txt = ""
    if hb and seed in hb["variants"]:
        hb_txt = f", which the hackbench workload reproduces ({_pct(hb['nonempty_fraction'])} of its CPUs non-empty)"
    parts.append(f"It costs when every CPU has pages, Mel Gorman's observation{hb_txt}: no IPI is saved and the "
                 f"scan{' plus the allocation' if cfg['offstack'] == 'y' else ''} add{'' if cfg['offstack'] == 'y' else 's'} {extra / 1000:.0f} us (+{100 * extra / max(full_b['cost_busy_ns'], 1e-9):.0f}%) "
                 f"to each drain at {big} CPUs")
    pr = next((w for w in _largest_workloads(result) if w["workload"] == "pressure"), None)
    if pr and seed in pr["variants"]:
        r = pr["variants"][seed]
        fb = r["expected"]["fallbacks"]
        sp = result["slab_pages"][str(big)]
        head = (f"Under memory pressure (direct reclaim with {pr['cpus'] // 4} free pages, {pr['cpus']} CPUs) "
                f"it saves {r['deliveries_saved_pct']:.0f}% of the IPIs")
        if r["reserve_pages"]:
            head += (f", but each mask allocation that misses the slab takes a new slab from below the min "
                     f"watermark: {_pages(r['reserve_pages'])} per drain here, an order-{sp.bit_length() - 1} "
                     f"slab of {_pages(sp)} at {big} CPUs")
        if fb:
            head += f", and falls back to the broadcast in {fb:.2g} of the drains"
        parts.append(head)
    iso = next((w for w in _largest_workloads(result) if w["workload"] == "isolated"), None)
    if iso and seed in iso["variants"]:
        parts.append(f"With {iso['idle_cpus']} of {iso['cpus']} CPUs isolated it wakes "
                     f"{iso['variants'][seed]['expected']['idle_disturbed']:g} of them, the broadcast "
                     f"{iso['variants'][cv.BASELINE]['expected']['idle_disturbed']:g}")
    if "mel-two-pass" in result["break_even"]:
        m = result["break_even"]["mel-two-pass"][str(big)]
        parts.append(f"Mel's two-pass variant pays only below {_pct(m['busy']['pays_below'])} "
                     f"({_pct(m['idle']['pays_below'])} with idle CPUs): its first pass doubles the scan whenever "
                     f"it does allocate")
    return ". ".join(parts) + "."


def table(result) -> str:
    """Plain-text break-even table and workload savings."""
    cfg = _cfg(result)
    axis = [n for n in cfg["cpu_axis"] if n >= 2]
    show = [n for n in axis if n in (2, 8, 64, 512, axis[-1])] or axis
    lines = ["break-even occupancy (variant cheaper than the broadcast below it): busy / idle"]
    lines.append(f"  {'variant':22s}" + "".join(f"{n:>14d}" for n in show))
    for vn, per_n in result["break_even"].items():
        cells = "".join(f"{100 * per_n[str(n)]['busy']['pays_below']:6.1f}%/{100 * per_n[str(n)]['idle']['pays_below']:5.1f}%"
                        for n in show)
        lines.append(f"  {vn:22s}{cells}")
    for w in result["workloads"]:
        lines.append(f"{w['workload']} at {w['cpus']} CPUs: {_pct(w['nonempty_fraction'])} of CPUs non-empty, "
                     f"occupancy {w['occupancy']}")
        for vn, r in w["variants"].items():
            e = r["expected"]
            lines.append(f"  {vn:22s} interrupts {e['deliveries']:7.1f}  idle disturbed {e['idle_disturbed']:7.1f}  "
                         f"saved {r.get('deliveries_saved_pct', 0):5.1f}%  reserve pages {r['reserve_pages']:4g}  "
                         f"cost {r['cost_ns']['total'] / 1000:10.1f} us")
    t = result["timing"]
    lines.append(f"model runs: {t['points_run']} run, {t['points_cached']} cached; sweep {t['sweep_s']}s, "
                 f"workloads {t['workloads_s']}s; slowest point {t['slowest_point']}")
    return "\n".join(lines)
