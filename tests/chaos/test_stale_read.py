"""The checker has teeth on real processes: an isolated old leader's stale
read (X-Coffer-Consistency: stale) is caught, its linearizable read is
not stale.

Deterministic: the old leader is cut off before the second write, so its
local state cannot hold it.
"""

import random
import time

from chaos import ChaosCluster, Workload, call, perform, wait
from linearizability import check


def test_a_stale_read_of_an_isolated_leader_is_caught():
    rng = random.Random(1)
    with ChaosCluster(3, rng) as c:
        c.initialized()
        w = Workload(c, rng, clients=0)
        old = wait(c.leader_now, "a leader")
        first = w.run_op(old, w.new_op(0, rng, "put", "k"))
        assert first.status == "ok", first
        # Every node applied v1 before the cut.
        for x in c.nodes:
            wait(lambda: call(x, "GET", "secret/data/k", headers={
                "X-Coffer-Consistency": "stale"})[0] == 200,
                f"node {x.id} applied v1", timeout=60)
        others = [x for x in c.nodes if x is not old]
        c.proxies.partition([[old.id], [x.id for x in others]], "drop")
        new = wait(lambda: next((x for x in others if call(
            x, "GET", "sys/leader", timeout=3)[1]["is_self"]), None),
            "a leader among the majority", timeout=60)
        second = w.run_op(new, w.new_op(0, rng, "put", "k"))
        assert second.status == "ok" and second.version == 2, second

        stale = w.new_op(1, rng, "read", "k")
        perform(old, stale, stale=True)
        assert (stale.status, stale.version) == ("ok", 1), stale
        linear = w.new_op(2, rng, "read", "k")
        perform(old, linear)  # must not be (1, first value)
        c.proxies.heal()
        time.sleep(0.1)

        base = [first, second]
        bad = check(base + [stale])
        assert bad and bad[0].ok is False, "the checker missed a stale read"
        assert "not linearizable" in bad[0].detail
        assert not check(base + [linear]), (linear, check(base + [linear]))
        print(f"isolated leader's linearizable read: {linear}")
