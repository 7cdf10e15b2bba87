"""A linearizability checker for KV v2 histories, and the end checks.

The model, per key: a register holding (version, value), initially (0,
None). Operations (Op.kind):

  put(value) -> version v       ok: legal iff v == current + 1; the register
                                becomes (v, value).
  cas(value, cas=c) -> v        ok: legal iff current == c and v == c + 1.
                                fail (Vault's check-and-set mismatch): legal
                                iff current != c; no change.
  read() -> (version, value)    ok: legal iff the register holds exactly
                                that ((0, None) for a key not written yet).

Outcomes (Op.status): "ok" and "fail" are definite; "refused" (turned away
before it ran: a full disk, too many requests) took no effect and
constrains nothing but that its value is never read; "unknown" (a timeout,
a broken connection, a 5xx) may or may not have taken effect. An unknown
write is given an infinite completion time: it may take effect at any point
after its invocation, or never (it is simply never linearized); an unknown
or failed read constrains nothing and is left out, as is a definitely
failed put.

The search is Wing & Gong's as improved by Lowe and used by Porcupine:
depth first over which operation takes effect next, where an operation
may go next only if it was invoked before every not yet linearized
definite operation returned; (set of linearized operations, register)
pairs already explored are cached. Keys are independent registers, so
each key is checked alone (P-compositionality).
"""

import math
from dataclasses import dataclass
from typing import Optional

INF = math.inf


@dataclass
class Op:
    key: str
    kind: str              # "put", "cas", "read"
    call: float            # time.monotonic() at invocation
    ret: float = INF       # at completion (INF while pending or unknown)
    status: str = "unknown"  # "ok", "fail", "unknown"
    value: Optional[str] = None   # written value (put, cas)
    cas: Optional[int] = None     # expected version (cas)
    version: Optional[int] = None  # returned version (ok put/cas/read)
    out: Optional[str] = None     # returned value (ok read)
    node: int = 0          # which node served it
    client: int = 0        # which client thread issued it
    error: str = ""        # what failed, for the report

    def __str__(self):
        end = "inf" if self.ret == INF else f"{self.ret:.4f}"
        if self.kind == "read":
            what = f"read -> (v{self.version}, {self.out!r})"
        elif self.kind == "put":
            what = f"put {self.value!r} -> v{self.version}"
        else:
            what = f"cas@{self.cas} {self.value!r} -> v{self.version}"
        return (f"[{self.call:.4f}, {end}] c{self.client} n{self.node} "
                f"{self.key} {what} {self.status}"
                + (f" ({self.error})" if self.error else ""))


def _step(op, state):
    """The register after op, or None when op is illegal in state."""
    version, value = state
    if op.kind == "read":
        return state if (op.version, op.out) == (version, value) else None
    if op.kind == "put":
        if op.status == "unknown":
            return (version + 1, op.value)
        return (op.version, op.value) if op.version == version + 1 else None
    if op.kind == "cas":
        if op.status == "fail":
            return state if version != op.cas else None
        if version != op.cas:
            return None
        if op.status == "unknown":
            return (version + 1, op.value)
        return (op.version, op.value) if op.version == version + 1 else None
    raise ValueError(f"unknown op kind {op.kind!r}")


def relevant(op, refusals=True):
    """Whether op constrains or may change the register; refusals=False
    leaves check-and-set refusals out (see check_key)."""
    if op.kind == "read":
        return op.status == "ok"
    if op.kind == "put":
        return op.status in ("ok", "unknown")
    return op.status in (("ok", "fail", "unknown") if refusals else
                         ("ok", "unknown"))


class Result:
    def __init__(self, ok, key, explored, detail=""):
        self.ok = ok
        self.key = key
        self.explored = explored
        self.detail = detail

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return (f"Result(ok={self.ok}, key={self.key!r}, "
                f"explored={self.explored})\n{self.detail}")


def check_key(ops, key="", budget=2_000_000, refusals=True):
    """Checks one key's operations. Returns a Result; ok=None means the
    budget of explored states ran out (inconclusive).

    refusals=False: a check-and-set refusal constrains nothing (it is
    still a write that did not happen: end_checks holds it to that). For
    a known bug, coffer answering refusals from uncommitted state
    (docs/design.md, "Real faults on real processes")."""
    ops = sorted((o for o in ops if relevant(o, refusals)),
                 key=lambda o: o.call)
    n = len(ops)
    must = 0
    for i, o in enumerate(ops):
        if o.status != "unknown":
            must |= 1 << i
    rets = [o.ret if o.status != "unknown" else INF for o in ops]
    calls = [o.call for o in ops]
    # Definite operations in order of completion, for the frontier.
    by_ret = sorted((i for i in range(n) if must >> i & 1),
                    key=lambda i: rets[i])

    def frontier(done):
        """Earliest completion among not yet linearized definite ops."""
        for i in by_ret:
            if not done >> i & 1:
                return rets[i]
        return INF

    def candidates(done):
        limit = frontier(done)
        out = []
        for i in range(n):
            if calls[i] > limit:
                break  # sorted by call: no later op may go next
            if not done >> i & 1:
                out.append(i)
        # Definite ops first, earliest completion first: the usual order.
        out.sort(key=lambda i: (rets[i] == INF, rets[i]))
        return out

    start = (0, (0, None))
    seen = {start}
    stack = [(0, (0, None), iter(candidates(0)))]
    explored = 1
    best = (0, 0, (0, None))  # (definite ops linearized, done, state)
    while stack:
        done, state, it = stack[-1]
        if done & must == must:
            return Result(True, key, explored)
        advanced = False
        for i in it:
            nxt = _step(ops[i], state)
            if nxt is None:
                continue
            d2 = done | 1 << i
            if (d2, nxt) in seen:
                continue
            seen.add((d2, nxt))
            explored += 1
            if explored > budget:
                return Result(None, key, explored,
                              f"{key}: budget of {budget} states exhausted")
            count = bin(d2 & must).count("1")
            if count > best[0]:
                best = (count, d2, nxt)
            stack.append((d2, nxt, iter(candidates(d2))))
            advanced = True
            break
        if not advanced:
            stack.pop()
    # Not linearizable: describe the deepest partial linearization.
    _, done, state = best
    lines = [f"{key}: not linearizable; {n} ops, the deepest partial order "
             f"linearizes {bin(done & must).count('1')} of "
             f"{bin(must).count('1')} definite ops and ends in "
             f"v{state[0]}={state[1]!r}; not placed:"]
    for i in range(n):
        if not done >> i & 1 and calls[i] <= frontier(done) + 1e-9:
            lines.append(f"  {ops[i]}")
    lines.append("history:")
    lines.extend(f"  {o}" for o in ops)
    return Result(False, key, explored, "\n".join(lines))


def check(history, budget=2_000_000, refusals=True):
    """Checks every key of history (a list of Op); returns the list of
    Results that are not ok (empty: linearizable)."""
    keys = {}
    for op in history:
        keys.setdefault(op.key, []).append(op)
    return [r for r in (check_key(ops, k, budget, refusals)
                        for k, ops in sorted(keys.items())) if not r.ok]


def end_checks(history, final):
    """The end checks. final: {node_id: {key: {version: value}}}, every
    version of every key of the history as each node read it at the end
    (after all faults healed). Returns a list of problems (empty: fine).

    - no version is repeated among acknowledged writes of a key, and a
      check-and-set has at most one winner per expected version;
    - every acknowledged write's version exists with its value on every
      node;
    - no version is skipped: versions 1..current all exist, each holds a
      value some acknowledged or unknown write of that key wrote (never
      one of a definitely failed write).
    """
    problems = []
    acked = {}     # key -> {version: op}
    winners = {}   # (key, cas) -> [op]
    written = {}   # key -> {value: op} for ok and unknown writes
    failed = {}    # key -> {value: op} for definitely failed writes
    for op in history:
        if op.kind == "read":
            continue
        if op.status == "ok":
            prev = acked.setdefault(op.key, {}).get(op.version)
            if prev is not None:
                problems.append(f"version repeated: {prev} and {op}")
            acked[op.key][op.version] = op
            if op.kind == "cas":
                winners.setdefault((op.key, op.cas), []).append(op)
        if op.status in ("ok", "unknown"):
            written.setdefault(op.key, {})[op.value] = op
        elif op.status in ("fail", "refused"):
            failed.setdefault(op.key, {})[op.value] = op
    for (key, cas), ops in sorted(winners.items()):
        if len(ops) > 1:
            problems.append(f"{len(ops)} check-and-set winners at {key} "
                            f"cas={cas}: " + "; ".join(map(str, ops)))
    keys = sorted({op.key for op in history})
    for node_id, state in sorted(final.items()):
        for key in keys:
            versions = state.get(key, {})
            for v, op in sorted(acked.get(key, {}).items()):
                if versions.get(v) != op.value:
                    problems.append(
                        f"node {node_id}: acknowledged write lost: {op}; "
                        f"the node has {versions.get(v)!r} at v{v}")
            current = max(versions, default=0)
            for v in range(1, current + 1):
                if v not in versions:
                    problems.append(f"node {node_id}: {key} v{v} skipped "
                                    f"(current v{current})")
                    continue
                value = versions[v]
                if value in failed.get(key, {}):
                    problems.append(
                        f"node {node_id}: {key} v{v} holds the value of a "
                        f"write answered as failed: {failed[key][value]}")
                elif value not in written.get(key, {}):
                    problems.append(f"node {node_id}: {key} v{v} holds "
                                    f"{value!r}, which no write wrote")
    # Every node reads the same versions.
    views = {n: {k: s.get(k, {}) for k in keys} for n, s in final.items()}
    if len({repr(sorted(v.items())) for v in views.values()}) > 1:
        for key in keys:
            seen = {n: views[n][key] for n in views}
            if len({repr(sorted(s.items())) for s in seen.values()}) > 1:
                problems.append(f"nodes disagree on {key}: {seen}")
    return problems
