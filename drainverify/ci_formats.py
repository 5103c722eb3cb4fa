"""Machine-readable forms of the matrix for CI systems: JUnit XML (one test case per
cell) and KTAP (the kernel's test-result format, one subtest per variant).  A cell
passes when its verdict matches model/manifest.json; `n/a` cells are skipped."""
from __future__ import annotations

import xml.etree.ElementTree as ET


def junit(matrix_json: dict, seconds: float = 0.0) -> str:
    root = ET.Element("testsuites", name="drainverify")
    total = fails = skips = 0
    for v, row in matrix_json["variants"].items():
        suite = ET.SubElement(root, "testsuite", name=v)
        nf = ns = 0
        for p, c in row.items():
            case = ET.SubElement(suite, "testcase", classname=v, name=p)
            info = c.get("reason") or c.get("detail") or ""
            if not c["matches"]:
                nf += 1
                f = ET.SubElement(case, "failure", message=f"got {c['verdict']}, expected {c['expected']}")
                f.text = info
            elif c["verdict"] == "n/a":
                ns += 1
                ET.SubElement(case, "skipped", message=f"n/a: {info}")
            out = ET.SubElement(case, "system-out")
            out.text = f"{c['verdict']}: {info}"
        suite.set("tests", str(len(row)))
        suite.set("failures", str(nf))
        suite.set("skipped", str(ns))
        total, fails, skips = total + len(row), fails + nf, skips + ns
    root.set("tests", str(total))
    root.set("failures", str(fails))
    root.set("skipped", str(skips))
    root.set("time", f"{seconds:.1f}")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _clean(text: str) -> str:
    import re
    text = re.sub(r"cpu(\d+)#(\d+)", r"cpu\1 call \2", " ".join(str(text).split()))
    return text.replace("#", "")


def ktap(matrix_json: dict) -> str:
    rows = list(matrix_json["variants"].items())
    out = ["KTAP version 1", f"1..{len(rows)}"]
    for i, (v, row) in enumerate(rows, 1):
        out.append("    KTAP version 1")
        out.append(f"    # Subtest: {v}")
        out.append(f"    1..{len(row)}")
        ok_all = True
        for j, (p, c) in enumerate(row.items(), 1):
            info = _clean(c.get("reason") or c.get("detail") or "")
            if c["verdict"] == "n/a" and c["matches"]:
                out.append(f"    ok {j} {p} # SKIP n/a: {info}")
            elif c["matches"]:
                out.append(f"    ok {j} {p} # {c['verdict']}" + (f": {info}" if c["verdict"] == "refuted" else ""))
            else:
                ok_all = False
                out.append(f"    not ok {j} {p} # got {c['verdict']}, expected {c['expected']}")
        out.append(f"{'ok' if ok_all else 'not ok'} {i} {v}")
    return "\n".join(out) + "\n"
