"""`check --html DIR`: one self-contained HTML file a reviewer can attach to a review.

Everything is inline (styles, script, SVG): the page fetches nothing.  It holds the
matrix (each refuted cell links to its counterexample), and each counterexample as
a timeline -- one lane per CPU, a row per atomic step, the drain caller's scan /
mask / IPI events, IPIs drawn as arrows from the caller's lane to each target lane,
the failing step and the stranded page highlighted, only what changed in each row;
clicking a row shows the full state after that step.  The property's claim in
kernel words and the replay command sit above each timeline.  Optional extra
sections (the cost study's figures) are passed in as (title, svg) pairs.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from jinja2 import Environment

from model.format import state_text, step_lanes
from model.properties import BY_NAME

LANE_W, ROW_H, LABEL_W = 300, 22, 46

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>drainverify report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px} h2{font-size:17px;margin-top:32px;border-top:1px solid #ccc;padding-top:12px}
table.matrix{border-collapse:collapse;font-size:12px}
table.matrix th,table.matrix td{border:1px solid #ccc;padding:3px 6px;text-align:center}
table.matrix th.v{text-align:left}
td.refuted{background:#f8c9c4} td.bounded,td.proved,td.nocex{background:#d6f0d2}
td.na{background:#eee;color:#777} td.unknown{background:#fbe7a1}
td.mismatch{outline:3px solid #c00}
td a{color:#700;font-weight:bold}
.claim{font-style:italic} .viol{color:#a00;font-weight:bold}
code,pre{font:12px/1.35 ui-monospace,monospace} pre{background:#f6f6f6;padding:8px;overflow:auto}
svg text{font:11px ui-monospace,monospace}
.row:hover rect.bg{fill:#eef3ff} .row{cursor:pointer}
.statebox{display:none;background:#fffbe6;border:1px solid #e0c060;padding:6px;margin:4px 0}
.statebox.open{display:block}
.figure svg{max-width:100%;height:auto}
</style></head><body>
<h1>drainverify: drain_all_pages() under the property ladder</h1>
<p>{{ summary }}</p>
<p>Configuration: <code>{{ config }}</code>. Expected verdicts: <code>model/manifest.json</code>.</p>
<table class="matrix" id="matrix"><tr><th class="v">variant</th>
{% for p in props %}<th title="{{ claims[p] }}">{{ p }}</th>{% endfor %}</tr>
{% for v, row in rows %}<tr><th class="v">{{ v }}</th>
{% for p, c in row %}<td class="{{ c.cls }}{% if not c.matches %} mismatch{% endif %}" title="{{ c.title }}">
{% if c.anchor %}<a href="#{{ c.anchor }}">{{ c.verdict }}</a>{% else %}{{ c.verdict }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</table>
{% for cx in cexes %}
<h2 id="{{ cx.anchor }}">{{ cx.prop }} refuted on {{ cx.variant }}</h2>
<p class="claim">Claim: {{ cx.claim }}</p>
<p class="viol">{{ cx.violation }}</p>
<p>{{ cx.config }}<br>Workload: <code>{{ cx.workload }}</code></p>
<p>Replay: <code>{{ cx.replay }}</code></p>
<div class="timeline">{{ cx.svg|safe }}</div>
<div class="statebox" id="{{ cx.anchor }}-state"><pre></pre></div>
<p>State {{ cx.final_label }} (stranded pages marked):</p><pre>{{ cx.final }}</pre>
<script type="application/json" id="{{ cx.anchor }}-states">{{ cx.states|safe }}</script>
{% endfor %}
{% for title, svg in extras %}<h2>{{ title }}</h2><div class="figure">{{ svg|safe }}</div>{% endfor %}
<script>
document.querySelectorAll('g.row').forEach(function(g){
  g.addEventListener('click', function(){
    var id = g.getAttribute('data-cex'), i = +g.getAttribute('data-step');
    var states = JSON.parse(document.getElementById(id + '-states').textContent);
    var box = document.getElementById(id + '-state');
    box.querySelector('pre').textContent = 'after step ' + i + ':\\n' + states[i - 1];
    box.classList.add('open');
  });
});
</script>
</body></html>
"""

def _css(word) -> str:
    from model.verdicts import Verdict
    try:
        return Verdict(word).css
    except ValueError:
        return ""


def _esc(t: str) -> str:
    return html.escape(t, quote=True)


def timeline_svg(art: dict, anchor: str) -> str:
    """One lane per CPU, one row per step; IPI arrows from caller to targets."""
    ncpu = art["cpus"]
    vstep = art.get("violation_step")
    rows = step_lanes(art)
    width = LABEL_W + ncpu * LANE_W
    y = 28
    out = []
    for c in range(ncpu):
        x = LABEL_W + c * LANE_W
        out.append(f'<text x="{x + 6}" y="16" font-weight="bold">cpu{c}</text>')
    body = []
    for st, cols, arrows in rows:
        h = max(1, max(len(c) for c in cols)) * ROW_H
        i = st["index"]
        fail = i == vstep
        g = [f'<g class="row" data-cex="{anchor}" data-step="{i}">',
             f'<rect class="bg" x="0" y="{y}" width="{width}" height="{h}" '
             f'fill="{"#fde0dc" if fail else "#ffffff"}" stroke="#eee"/>',
             f'<text x="4" y="{y + 15}">{i}{" !" if fail else ""}</text>']
        for c, lines in enumerate(cols):
            for j, (t, kind) in enumerate(lines):
                x = LABEL_W + c * LANE_W + 6
                color = {"scan": "#1f4e99", "mask": "#6a3d9a", "mask_read": "#6a3d9a", "ipi": "#b15928",
                         "work": "#b15928", "drain": "#33a02c", "free": "#555", "refill": "#555",
                         "call": "#000", "return": "#000", "crash": "#c00", "hang": "#c00"}.get(kind, "#444")
                short = t if len(t) <= 44 else t[:43] + "…"
                g.append(f'<text x="{x}" y="{y + 15 + j * ROW_H}" fill="{color}"><title>{_esc(t)}</title>'
                         f'{_esc(short)}</text>')
        for src, dst in arrows:
            if src == dst:
                continue
            x1 = LABEL_W + src * LANE_W + (LANE_W - 10 if dst > src else 10)
            x2 = LABEL_W + dst * LANE_W + (10 if dst > src else LANE_W - 10)
            ym = y + h - 5
            g.append(f'<line x1="{x1}" y1="{ym}" x2="{x2}" y2="{ym}" stroke="#b15928" stroke-width="2" '
                     f'marker-end="url(#arrow-{anchor})"/>')
        g.append("</g>")
        body.append("".join(g))
        y += h
    lanes = "".join(f'<line x1="{LABEL_W + c * LANE_W}" y1="20" x2="{LABEL_W + c * LANE_W}" y2="{y}" '
                    f'stroke="#999"/>' for c in range(ncpu))
    defs = (f'<defs><marker id="arrow-{anchor}" markerWidth="8" markerHeight="8" refX="7" refY="3" '
            f'orient="auto"><path d="M0,0 L7,3 L0,6 z" fill="#b15928"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{width}" height="{y + 6}" '
            f'viewBox="0 0 {width} {y + 6}">{defs}{"".join(out)}{lanes}{"".join(body)}</svg>')


def _state_lines(s: dict, mark=()) -> str:
    return "\n".join(state_text(s, mark=mark))


def render(matrix_json: dict, props, config_text: str, summary: str, extras=()) -> str:
    rows, cexes = [], []
    claims = {p: BY_NAME[p].claim for p in props if p in BY_NAME}
    for v, row in matrix_json["variants"].items():
        cells = []
        for p in props:
            c = row[p]
            anchor = None
            art = c.get("counterexample")
            if art:
                anchor = f"cex-{v}-{p}".replace(".", "_")
                stranded = set(art.get("stranded", ()))
                cexes.append({
                    "anchor": anchor, "prop": p, "variant": v, "claim": art["claim"],
                    "violation": (f"violated {'at the end' if art.get('violation_step') == -1 else 'at step ' + str(art.get('violation_step'))}: "
                                  f"{art['violation']}"),
                    "config": (f"{art['cpus']} CPU(s), zones {' '.join(art['configuration']['zones'])}, "
                               f"high={art['configuration']['high']} batch={art['configuration']['batch']}, "
                               f"CONFIG_CPUMASK_OFFSTACK={art['configuration']['offstack']}, "
                               f"memory model {art['configuration']['memory_model']}"),
                    "workload": _workload(art), "replay": art["replay"], "svg": timeline_svg(art, anchor),
                    "final": _state_lines(art["final_state"], stranded),
                    "final_label": "at the end" if art.get("violation_step") == -1 else "at the violation",
                    "states": json.dumps([_state_lines(st["state"], stranded) if st.get("state") else ""
                                          for st in art["steps"]]).replace("</", "<\\/"),
                })
            title = c.get("reason") or c.get("detail") or ""
            cells.append((p, {"verdict": c["verdict"], "cls": _css(c["verdict"]), "matches": c["matches"],
                              "anchor": anchor, "title": title}))
        rows.append((v, cells))
    env = Environment(autoescape=True)
    return env.from_string(PAGE).render(rows=rows, props=props, claims=claims, cexes=cexes, extras=list(extras),
                                        summary=summary, config=config_text)


def _workload(art):
    from model.scenario import Scenario
    return Scenario.from_json(art["scenario"]).describe()


def write(directory, matrix_json: dict, props, config_text: str, summary: str, extras=()) -> Path:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "report.html"
    path.write_text(render(matrix_json, props, config_text, summary, extras))
    return path
