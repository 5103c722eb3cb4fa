"""The proof kernel: what a proof *is*, and the only ways to obtain one.

A `Proof` is a frozen value (knuckledragger's `Proof`, STYLE.md "Proofs are
values"): the property it is about (a name of `model.properties`), the corpus
variant, the configuration, the lemmas and facts it relied on, the solver time and
timeout, and its grade:

* `proved`   unbounded; carries the inductive invariant or the argument Z3 checked;
* `bounded`  exhaustive up to a stated bound (carries the bound);
* `refuted`  carries a counterexample that was replayed in the Python model and
             reproduced the violation there;
* `unknown`  carries the reason (a solver timeout or `unknown`, a counterexample that
             did not replay -- an encoding bug -- or a bound not reached).

`Proof.__post_init__` refuses a value whose grade lacks its evidence, so no code
path can build a `proved` without an invariant or a `refuted` without a replayed
counterexample.  The solver helpers below never turn `unknown` into `unsat`: an
obligation is discharged only by an `unsat` answer to its negation.

This module abstracts no kernel code; it is the bookkeeping every encoding shares.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Optional

import z3

from model.verdicts import PROOF_GRADES

GRADES = tuple(v.value for v in PROOF_GRADES)
DEFAULT_TIMEOUT_MS = 20_000


class EncodingBug(Exception):
    """A Z3 counterexample that does not replay in the model: the encoding and the
    model disagree, so the encoding is wrong (STYLE.md)."""


@dataclass(frozen=True)
class Proof:
    prop: str
    variant: str
    grade: str
    config: tuple = ()                   # sorted (key, value) pairs
    relied_on: tuple = ()                # lemma / fact names
    seconds: float = 0.0
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    bound: Optional[str] = None
    invariant: Optional[str] = None      # the inductive invariant / argument Z3 checked
    reason: Optional[str] = None         # unknown: why; refuted: the model's violation text
    counterexample: Optional[dict] = field(default=None, compare=False, hash=False)
    detail: str = ""
    admits: tuple = ()                   # what the premises were shown satisfiable together with

    def __post_init__(self):
        if self.grade not in GRADES:
            raise ValueError(f"grade {self.grade!r} is not one of {GRADES}")
        if self.grade == "proved" and not self.invariant:
            raise ValueError("a proved theorem must carry the invariant or argument Z3 checked")
        if self.grade == "proved" and not self.admits:
            raise ValueError("a proved theorem must show its premises satisfiable with its witness "
                             "(else it may be vacuous or weaker than stated)")
        if self.grade == "bounded" and not self.bound:
            raise ValueError("a bounded verdict must state its bound")
        if self.grade == "refuted":
            cex = self.counterexample
            if not cex or not cex.get("replayed"):
                raise ValueError("a refutation must carry a counterexample replayed in the model")
        if self.grade == "unknown" and not self.reason:
            raise ValueError("an unknown verdict must say why")

    @property
    def config_dict(self) -> dict:
        return dict(self.config)

    def row(self) -> dict:
        """The `prove --json` form of one theorem."""
        return {"property": self.prop, "variant": self.variant, "grade": self.grade,
                "seconds": round(self.seconds, 4), "bound": self.bound, "invariant": self.invariant,
                "counterexample": self.counterexample, "relied_on": list(self.relied_on),
                "config": self.config_dict, "timeout_ms": self.timeout_ms, "reason": self.reason,
                "detail": self.detail, "premises_admit": list(self.admits)}


def frozen_config(d: dict) -> tuple:
    return tuple(sorted((k, json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in d.items()))


# --- solver answers -------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """One solver call: `status` is 'sat', 'unsat' or 'unknown' (with the reason)."""
    status: str
    model: object = None
    reason: str = ""
    seconds: float = 0.0


def check(assertions, timeout_ms: int = DEFAULT_TIMEOUT_MS, logic: Optional[str] = None) -> Answer:
    """Satisfiability of the conjunction of `assertions`, with a timeout."""
    s = z3.SolverFor(logic) if logic else z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*assertions)
    t0 = time.perf_counter()
    r = s.check()
    secs = time.perf_counter() - t0
    if r == z3.sat:
        return Answer("sat", s.model(), seconds=secs)
    if r == z3.unsat:
        return Answer("unsat", seconds=secs)
    return Answer("unknown", reason=f"z3 returned unknown ({s.reason_unknown()})", seconds=secs)


@dataclass(frozen=True)
class Obligation:
    """`premises` imply `goal`: discharged iff premises AND NOT goal is unsat."""
    name: str
    premises: tuple
    goal: object

    def negation(self) -> list:
        return list(self.premises) + [z3.Not(self.goal)]


@dataclass
class Discharge:
    ok: bool                 # every obligation unsat
    failed: Optional[str]    # first obligation whose negation was sat
    unknown: Optional[str]   # first obligation the solver could not decide, with the reason
    model: object
    seconds: float


def discharge(obligations, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Discharge:
    """Check every obligation; stop at the first that fails or is undecided."""
    total = 0.0
    for ob in obligations:
        a = check(ob.negation(), timeout_ms)
        total += a.seconds
        if a.status == "sat":
            return Discharge(False, ob.name, None, a.model, total)
        if a.status == "unknown":
            return Discharge(False, None, f"{ob.name}: {a.reason}", None, total)
    return Discharge(True, None, None, None, total)


def premises_satisfiable(premises, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Answer:
    """A theorem whose premises are unsatisfiable is vacuous: tests call this."""
    return check(list(premises), timeout_ms)


def admitted(premises, conditions, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> tuple:
    """Show `premises` satisfiable together with each (text, condition): what the
    theorem is about (its witness) and what distinguishes it from a weaker theorem
    (a concurrent load that differs from the count, an allocation that failed).
    -> (texts shown, None), or (texts shown so far, why one could not be)."""
    shown = []
    for text, cond in conditions:
        a = check(list(premises) + [cond], timeout_ms)
        if a.status == "sat":
            shown.append(text)
        elif a.status == "unsat":
            return tuple(shown), f"the premises exclude {text}: the theorem would be weaker than stated"
        else:
            return tuple(shown), f"could not show the premises admit {text} ({a.reason})"
    return tuple(shown), None


class Stopwatch:
    def __init__(self):
        self.t0 = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.t0


def unknown(prop, variant, reason, seconds=0.0, config=None, relied_on=(), timeout_ms=DEFAULT_TIMEOUT_MS,
            detail="") -> Proof:
    return Proof(prop, variant, "unknown", frozen_config(config or {}), tuple(relied_on), seconds,
                 timeout_ms, reason=reason, detail=detail)


def pretty(e) -> str:
    """A Z3 Boolean formula in C-like infix (`depth < 1 || PF_MEMALLOC`)."""
    if z3.is_true(e):
        return "true"
    if z3.is_false(e):
        return "false"
    if z3.is_const(e):
        return str(e)
    k = e.decl().kind()
    ch = e.children()
    if k == z3.Z3_OP_NOT:
        x = ch[0]
        flip = {z3.Z3_OP_GE: "<", z3.Z3_OP_LE: ">", z3.Z3_OP_GT: "<=", z3.Z3_OP_LT: ">="}
        if z3.is_app(x) and x.decl().kind() in flip:
            return f"{pretty(x.children()[0])} {flip[x.decl().kind()]} {pretty(x.children()[1])}"
        if z3.is_app(x) and x.decl().kind() == z3.Z3_OP_EQ:
            return f"{pretty(x.children()[0])} != {pretty(x.children()[1])}"
        return f"!{pretty(x)}" if z3.is_const(x) else f"!({pretty(x)})"
    ops = {z3.Z3_OP_AND: " && ", z3.Z3_OP_OR: " || "}
    if k in ops:
        parts = [pretty(c) for c in ch]
        wrap = (lambda s: f"({s})") if k == z3.Z3_OP_AND else (lambda s: s)
        return ops[k].join(wrap(p) if (" || " in p and k == z3.Z3_OP_AND) else p for p in parts)
    rel = {z3.Z3_OP_GE: ">=", z3.Z3_OP_LE: "<=", z3.Z3_OP_GT: ">", z3.Z3_OP_LT: "<", z3.Z3_OP_EQ: "=="}
    if k in rel:
        return f"{pretty(ch[0])} {rel[k]} {pretty(ch[1])}"
    return " ".join(str(e).split())


def satisfied_by(premises, consts=(), funs=(), timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Answer:
    """Premises are satisfiable if an explicit interpretation makes them true: replace
    the constants (`consts`: (const, value)) and functions (`funs`: (decl, body over
    Var(i))) and decide the closed result.  A constructive witness, so no quantified
    model search (which z3 may give up on) is needed."""
    closed = [z3.substitute_funs(z3.substitute(p, *consts) if consts else p, *funs) if funs else
              (z3.substitute(p, *consts) if consts else p) for p in premises]
    return check(closed, timeout_ms)
