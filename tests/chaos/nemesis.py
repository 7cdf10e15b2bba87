"""Nemeses: one fault each, injected, held, healed.

Each nemesis is a function (ctx) -> str that injects its fault, holds it,
heals it and returns a description; run_schedule picks them at random
(seeded), waits after each until the cluster serves again, and counts what
it injected. ctx is a Context: the cluster, the workload, a random.Random.

Times are in seconds; holds are drawn around cofferd's election timeout
(ELECTION_TIMEOUT, 0.5 to 1 s in these clusters).
"""

import time

from chaos import (ELECTION_TIMEOUT, faketime_available, log, restart, wait,
                   wait_healthy)


class Context:
    def __init__(self, cluster, workload, rng):
        self.cluster = cluster
        self.workload = workload
        self.rng = rng
        self.events = []   # (start, end, description)
        self.counts = {}   # nemesis name -> times injected
        self.recovery = []  # seconds to serve again after each heal

    def target(self, which):
        """The leader (waits for one) or a random node."""
        if which == "leader":
            leader = wait(self.cluster.leader_now, "a leader", timeout=60)
            return leader
        return self.rng.choice(self.cluster.nodes)

    def others(self, node):
        return [x for x in self.cluster.nodes if x is not node]


def _probe(ctx, node, other):
    """After a node resumes or a partition heals: a write through another
    node, then at once a read and a write through `node`, recorded in the
    history like the workload's, on a key the workload uses. A stale read
    or a lost write shows up in the check."""
    w = ctx.workload
    rng = ctx.rng
    key = rng.choice(w.current_keys())
    w.run_op(other, w.new_op(-1, rng, "put", key))
    w.run_op(node, w.new_op(-1, rng, "read", key))
    w.run_op(node, w.new_op(-1, rng, "cas", key))


def kill(which):
    def nemesis(ctx):
        node = ctx.target(which)
        node.kill()
        down = ctx.rng.uniform(0.5, 3.0)
        time.sleep(down)
        restart(ctx.cluster, node)
        return f"kill -9 {which} n{node.id}, down {down:.1f} s, restarted"
    nemesis.__name__ = f"kill_{which}"
    return nemesis


def pause(which):
    def nemesis(ctx):
        node = ctx.target(which)
        other = ctx.rng.choice(ctx.others(node))
        held = ctx.rng.uniform(3, 8) * ELECTION_TIMEOUT
        node.pause()
        # While it is stopped the others elect (if it led) and write.
        time.sleep(held / 2)
        w = ctx.workload
        key = ctx.rng.choice(w.current_keys())
        w.run_op(other, w.new_op(-1, ctx.rng, "put", key))
        time.sleep(held / 2)
        node.resume()
        w.run_op(node, w.new_op(-1, ctx.rng, "read", key))
        w.run_op(node, w.new_op(-1, ctx.rng, "cas", key))
        return f"SIGSTOP {which} n{node.id} for {held:.1f} s, SIGCONT"
    nemesis.__name__ = f"pause_{which}"
    return nemesis


def _ids(nodes):
    return [x.id for x in nodes]


def partition(kind):
    """kinds: halves (a random minority and majority), isolate-leader,
    bridge (two sides that only one node joins), one-way (the leader's
    frames reach nobody; it still hears the others)."""
    def nemesis(ctx):
        c, rng = ctx.cluster, ctx.rng
        ids = _ids(c.nodes)
        mode = rng.choice(["drop", "close"])
        if kind == "halves":
            shuffled = ids[:]
            rng.shuffle(shuffled)
            k = rng.randint(1, (len(ids) - 1) // 2)
            groups = [shuffled[:k], shuffled[k:]]
            c.proxies.partition(groups, mode)
            what = f"partition {groups[0]} | {groups[1]}"
            leader = None
        elif kind == "isolate-leader":
            leader = ctx.target("leader")
            groups = [[leader.id], [i for i in ids if i != leader.id]]
            c.proxies.partition(groups, mode)
            what = f"isolate leader n{leader.id}"
        elif kind == "bridge":
            shuffled = ids[:]
            rng.shuffle(shuffled)
            bridge, rest = shuffled[0], shuffled[1:]
            half = len(rest) // 2
            a, b = rest[:half], rest[half:]
            c.proxies.block([(s, d) for s in a for d in b] +
                            [(s, d) for s in b for d in a], mode)
            what = f"bridge {a} - n{bridge} - {b}"
            leader = None
        elif kind == "one-way":
            leader = ctx.target("leader")
            c.proxies.block([(leader.id, i) for i in ids if i != leader.id],
                            mode)
            what = f"one-way: leader n{leader.id} sends to nobody"
        else:
            raise ValueError(kind)
        held = rng.uniform(4, 12) * ELECTION_TIMEOUT
        time.sleep(held)
        c.proxies.heal()
        if leader is not None:
            _probe(ctx, leader, rng.choice(ctx.others(leader)))
        return f"{what} ({mode}) for {held:.1f} s, healed"
    nemesis.__name__ = f"partition_{kind}"
    return nemesis


def slow(ctx):
    c, rng = ctx.cluster, ctx.rng
    pairs = list(c.proxies.links)
    if rng.random() < 0.5:
        delay, jitter = rng.uniform(0.02, 0.2), rng.uniform(0, 0.1)
        c.proxies.slow(pairs, delay=delay, jitter=jitter)
        what = f"delay {delay * 1000:.0f} ms + {jitter * 1000:.0f} ms jitter"
    else:
        chosen = rng.sample(pairs, rng.randint(1, len(pairs)))
        loss = rng.uniform(0.1, 0.5)
        c.proxies.slow(chosen, loss=loss)
        what = f"lose {loss:.0%} of frames on {len(chosen)} links"
    held = rng.uniform(4, 12) * ELECTION_TIMEOUT
    time.sleep(held)
    c.proxies.heal()
    return f"{what} for {held:.1f} s, healed"


def clock(which):
    """Steps a node's wall clock (libfaketime) forward or back, holds,
    steps it back to the real time."""
    def nemesis(ctx):
        node = ctx.target(which)
        offset = ctx.rng.choice(["+5m", "-5m", "+2h", "-2h", "+1d", "-1d"])
        held = ctx.rng.uniform(4, 12) * ELECTION_TIMEOUT
        node.set_clock(offset)
        time.sleep(held)
        node.set_clock("+0")
        time.sleep(1.5)  # the file is re-read once a second
        return f"clock of {which} n{node.id} {offset} for {held:.1f} s, reset"
    nemesis.__name__ = f"clock_{which}"
    return nemesis


def all_nemeses():
    fs = [kill("leader"), kill("random"), pause("leader"), pause("random"),
          partition("halves"), partition("isolate-leader"),
          partition("bridge"), partition("one-way"), slow]
    if faketime_available():
        fs += [clock("leader"), clock("random")]
    return {f.__name__: f for f in fs}


def run_schedule(ctx, names, seconds, max_faults=10_000):
    """Injects faults drawn from names until `seconds` pass (bounded by
    max_faults too); after each, waits for the cluster to serve again."""
    table = all_nemeses()
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end and n < max_faults:
        name = ctx.rng.choice(names)
        start = time.monotonic()
        what = table[name](ctx)
        took = wait_healthy(ctx.cluster, what)
        ctx.recovery.append(took)
        ctx.events.append((start, time.monotonic(), name, what))
        ctx.counts[name] = ctx.counts.get(name, 0) + 1
        n += 1
        log(f"{name}: {what}; serving again after {took:.1f} s")
        time.sleep(ctx.rng.uniform(0.2, 1.0))
    return n
