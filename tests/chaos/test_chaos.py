"""Real faults on real cofferd clusters: the histories must be linearizable.

Environment:
  COFFER_CHAOS_SEED      the seed (printed by every run; set it to repeat
                         the schedule; thread timing still varies)
  COFFER_CHAOS_SECONDS   how long each cluster is under faults (default 20:
                         the short run; 3600 for the soak)
  COFFER_CHAOS_NEMESES   a comma list of nemesis names (nemesis.py) to use
                         instead of the default mix
  COFFER_CHAOS_NODES=3   leaves out the 5-node cluster
  COFFER_CHAOS_SOAK=1    the soak's mix: the default one plus the nemeses
                         kept out of it (KNOWN_BAD)
  COFFER_CHAOS_OUT       a directory: every run's history is saved there
                         (otherwise only a failing run's, in the temp dir)
  COFFER_CHAOS_STRICT_CAS=0  lets check-and-set refusals constrain nothing
                         in the linearizability check (each run then
                         prints how many keys they would have failed)

Check-and-set refusals are held to linearizability like every other
answer. They were not linearizable until session 6 (docs/design.md,
"Refusals wait for what they saw to commit"): a leader answered a refusal
from a view that included its own uncommitted writes, without confirming
it still led. end_checks holds them to "not applied" either way.
"""

import os
import random
import tempfile
import threading
import time

import pytest

from chaos import ChaosCluster, Workload, final_state, save_history
from chaos import wait_healthy
from linearizability import check, end_checks
from nemesis import Context, all_nemeses, run_schedule

SECONDS = float(os.environ.get("COFFER_CHAOS_SECONDS", "20"))
STRICT_CAS = os.environ.get("COFFER_CHAOS_STRICT_CAS", "1") != "0"

# Nemeses left out of the default run, in the soak's mix (docs/design.md,
# "Real faults on real processes").
KNOWN_BAD = {
    # libfaketime fakes the clock the process reads, not the one the kernel
    # compares absolute futex deadlines with: while a node's clock is set
    # back, every timed wait in it expires at once (503 "no result within
    # the timeout"; before the node checked tokens itself, also 403 from
    # cofferd's token check). No real clock step does that; safety is still
    # checked.
    "clock_leader", "clock_random",
}
# The default mix: every other nemesis.
DEFAULT = sorted(set(all_nemeses()) - KNOWN_BAD)
SOAK = os.environ.get("COFFER_CHAOS_SOAK") == "1"


def nemeses():
    names = os.environ.get("COFFER_CHAOS_NEMESES")
    if not names:
        return sorted(all_nemeses()) if SOAK else DEFAULT
    chosen = [x.strip() for x in names.split(",") if x.strip()]
    unknown = set(chosen) - set(all_nemeses())
    assert not unknown, f"unknown nemeses {sorted(unknown)}"
    return chosen


def seed_for(n):
    s = os.environ.get("COFFER_CHAOS_SEED")
    seed = int(s) if s else time.time_ns() % 1_000_000
    print(f"seed {seed} (set COFFER_CHAOS_SEED={seed} to repeat), "
          f"{n} nodes, {SECONDS:.0f} s of faults", flush=True)
    return seed


def run(n, clients):
    seed = seed_for(n)
    rng = random.Random(seed)
    names = nemeses()
    clocks = any(x.startswith("clock_") for x in names)
    with ChaosCluster(n, rng, faketime=clocks) as c:
        c.initialized()
        # Each key sees at most OPS_PER_KEY operations: keep every version.
        r = c.nodes[0].post("secret/config", {"max_versions": 100})
        assert r.status == 204, r
        w = Workload(c, rng, clients)
        ctx = Context(c, w, rng)
        began = time.monotonic()
        w.start()
        try:
            time.sleep(2)
            faults = run_schedule(ctx, names, SECONDS)
            time.sleep(2)
        finally:
            w.finish()
        c.proxies.heal()
        wait_healthy(c, "the end")
        faulted = time.monotonic()
        keys = sorted({op.key for op in w.history})
        # A last linearizable read of every key through every node.
        readers = [threading.Thread(target=lambda x=x: [
            w.run_op(x, w.new_op(-2, random.Random(x.id), "read", key))
            for key in keys], daemon=True) for x in c.nodes]
        for t in readers:
            t.start()
        for t in readers:
            t.join(timeout=600)
        final = final_state(c, keys)
        took = time.monotonic() - began
        history = list(w.history)
        check_start = time.monotonic()
        bad = check(history, refusals=STRICT_CAS)
        known = [r.key for r in check(history, refusals=True)
                 if r.ok is False] if not STRICT_CAS else []
        problems = end_checks(history, final)
        # The node checks the token itself now: a check that cannot run
        # (no quorum, a timeout) is 503, so a 403 for the root token is a
        # mistake like any other failure.
        denied = [op for op in history if op.error == "403 permission denied"]
        mistakes = [op for op in history
                    if op.status == "fail" and op.error != "cas mismatch"]
        print(f"seed {seed}: {n} nodes, {faults} faults in "
              f"{faulted - began:.0f} s, final reads {took - (faulted - began):.0f}"
              f" s: {ctx.counts}", flush=True)
        print(f"operations: {len(history)} on {len(keys)} keys: "
              f"{dict(sorted(w.counts().items()))}; proxy: "
              f"{c.proxies.stats}; recovery max "
              f"{max(ctx.recovery, default=0):.1f} s; checked in "
              f"{time.monotonic() - check_start:.1f} s", flush=True)
        print(f"errors: {w.errors()}", flush=True)
        if denied:
            print(f"{len(denied)} requests with the root token answered 403",
                  flush=True)
        if known:
            print(f"known bug (stale or uncommitted check-and-set refusals): "
                  f"{len(known)} of {len(keys)} keys are not linearizable "
                  f"when refusals count: {known[:10]}", flush=True)
        out = os.environ.get("COFFER_CHAOS_OUT")
        if out or bad or problems or mistakes:
            path = os.path.join(out or tempfile.gettempdir(),
                                f"coffer-chaos-{n}n-seed{seed}.json")
            save_history(path, seed, history, ctx.events)
            print(f"history saved to {path}")
        for r in bad:
            print(r.detail)
        for p in problems:
            print(p)
        assert not mistakes, f"unexpected answers: {mistakes[:5]}"
        assert not [r for r in bad if r.ok is None], "checker budget ran out"
        assert not bad, f"seed {seed}: not linearizable: {[r.key for r in bad]}"
        assert not problems, f"seed {seed}: {problems[:5]}"
        # Liveness, generously: the cluster kept serving.
        ok_writes = sum(1 for op in history
                        if op.kind != "read" and op.status == "ok")
        assert ok_writes >= 20, f"only {ok_writes} writes acknowledged"
        assert faults >= 1
        assert c.proxies.stats["unknown_source"] == 0, c.proxies.stats


def test_three_nodes_under_faults():
    run(3, clients=6)


@pytest.mark.skipif(os.environ.get("COFFER_CHAOS_NODES", "3,5").find("5") < 0,
                    reason="COFFER_CHAOS_NODES leaves out 5")
def test_five_nodes_under_faults():
    run(5, clients=8)
