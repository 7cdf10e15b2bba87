"""The checker on small hand-made histories, and on the real ones it
caught (histories/; no daemon needed)."""

import glob
import json
import os
import random

from linearizability import INF, Op, check, check_key, end_checks

HISTORIES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "histories")


def put(call, ret, value, version, status="ok", key="k"):
    return Op(key, "put", call, ret, status, value=value, version=version)


def cas(call, ret, expect, value, version=None, status="ok", key="k"):
    return Op(key, "cas", call, ret, status, value=value, cas=expect,
              version=version)


def read(call, ret, version, value, key="k"):
    return Op(key, "read", call, ret, "ok", version=version, out=value)


def test_an_empty_history_and_a_sequential_one_pass():
    assert check_key([])
    assert check_key([read(0, 1, 0, None), put(2, 3, "a", 1),
                      read(4, 5, 1, "a"), cas(6, 7, 1, "b", 2),
                      read(8, 9, 2, "b")])


def test_concurrent_writes_may_take_effect_in_either_order():
    # Two overlapping puts; the versions say b went first.
    h = [put(0, 10, "a", 2), put(1, 9, "b", 1), read(11, 12, 2, "a")]
    assert check_key(h)
    # A read overlapping both may see the first one alone.
    assert check_key(h + [read(2, 8, 1, "b")])


def test_a_stale_read_fails():
    # b (v2) completed before the read began, which still returns a (v1).
    h = [put(0, 1, "a", 1), put(2, 3, "b", 2), read(4, 5, 1, "a")]
    r = check_key(h, "k")
    assert r.ok is False
    assert "not linearizable" in r.detail


def test_a_lost_write_fails():
    # An acknowledged write that a later read does not see.
    h = [put(0, 1, "a", 1), read(2, 3, 0, None)]
    assert check_key(h).ok is False
    # Or a later write reusing its version.
    h = [put(0, 1, "a", 1), put(2, 3, "b", 1)]
    assert check_key(h).ok is False


def test_a_read_of_a_value_never_written_fails():
    assert check_key([put(0, 1, "a", 1), read(2, 3, 1, "z")]).ok is False


def test_an_unknown_write_may_or_may_not_take_effect():
    # Not seen by anyone: fine.
    assert check_key([put(0, INF, "a", None, "unknown"), read(2, 3, 0, None)])
    # Seen long after its invocation: fine, it took effect late.
    h = [put(0, INF, "a", None, "unknown"), read(2, 3, 0, None),
         read(50, 51, 1, "a")]
    assert check_key(h)
    # But once seen it cannot be unseen.
    h.append(read(60, 61, 0, None))
    assert check_key(h).ok is False
    # It shifts the versions of later writes.
    h = [put(0, INF, "a", None, "unknown"), put(5, 6, "b", 2),
         read(7, 8, 2, "b")]
    assert check_key(h)
    # A version gap that no unknown write explains is a skipped version.
    assert check_key([put(0, 1, "a", 1), put(2, 3, "b", 3)]).ok is False


def test_check_and_set():
    # cas@0 creates; a second cas@0 after it must fail.
    h = [cas(0, 1, 0, "a", 1), cas(2, 3, 0, "b", status="fail"),
         cas(4, 5, 1, "c", 2), read(6, 7, 2, "c")]
    assert check_key(h)
    # Two winners of the same expected version.
    h = [cas(0, 1, 0, "a", 1), cas(2, 3, 0, "b", 1)]
    assert check_key(h).ok is False
    # A mismatch reported although the version did match, with nothing
    # concurrent that could have moved it.
    h = [put(0, 1, "a", 1), cas(2, 3, 1, "b", status="fail"),
         read(4, 5, 1, "a")]
    assert check_key(h).ok is False
    # Concurrent with a write that moved the version: a fair mismatch.
    h = [put(0, 1, "a", 1), put(2, 6, "x", 2),
         cas(3, 5, 1, "b", status="fail"), read(7, 8, 2, "x")]
    assert check_key(h)
    # An unknown cas that matched may have taken effect.
    h = [put(0, 1, "a", 1), cas(2, INF, 1, "b", status="unknown"),
         read(5, 6, 2, "b")]
    assert check_key(h)
    # One that could not match cannot.
    h = [put(0, 1, "a", 1), cas(2, INF, 0, "b", status="unknown"),
         read(5, 6, 2, "b")]
    assert check_key(h).ok is False


def test_refusals_can_be_left_unconstrained():
    # A refusal against a version that did match: an anomaly when refusals
    # count, nothing when they are left out.
    h = [put(0, 1, "a", 1), cas(2, 3, 1, "b", status="fail"),
         read(4, 5, 1, "a")]
    assert check_key(h).ok is False
    assert check_key(h, refusals=False)
    # Other anomalies are still caught.
    h.append(read(6, 7, 0, None))
    assert check_key(h, refusals=False).ok is False


def test_keys_are_checked_apart():
    h = [put(0, 1, "a", 1, key="x"), put(0, 1, "a", 1, key="y"),
         read(2, 3, 1, "a", key="x"), read(2, 3, 0, None, key="y")]
    bad = check(h)
    assert [r.key for r in bad] == ["y"]


def test_a_long_random_linearizable_history_passes_quickly():
    # A simulated register with overlapping clients: each op takes effect
    # at a random point inside its interval, some writes end unknown.
    rng = random.Random(7)
    version, value, h, t = 0, None, [], 0.0
    for i in range(400):
        t += rng.uniform(0, 0.3)
        call = t
        at = call + rng.uniform(0, 1)
        ret = at + rng.uniform(0, 1)
        kind = rng.choice(["put", "cas", "read"])
        h.append((at, kind, call, ret, f"v{i}", rng.random() < 0.1))
    ops = []
    for at, kind, call, ret, val, lost in sorted(h):
        if kind == "read":
            ops.append(read(call, ret, version, value))
        elif kind == "put":
            version, value = version + 1, val
            ops.append(put(call, INF if lost else ret, val,
                           None if lost else version,
                           "unknown" if lost else "ok"))
        else:
            expect = version if rng.random() < 0.6 else max(0, version - 1)
            if expect == version:
                version, value = version + 1, val
                ops.append(cas(call, INF if lost else ret, expect, val,
                               None if lost else version,
                               "unknown" if lost else "ok"))
            else:
                ops.append(cas(call, ret, expect, val, status="fail"))
    r = check_key(ops, budget=200_000)
    assert r.ok, r


def test_end_checks():
    h = [put(0, 1, "a", 1), cas(2, 3, 1, "b", 2),
         put(4, INF, "c", None, "unknown"),
         cas(5, 6, 1, "d", status="fail")]
    good = {1: {"k": {1: "a", 2: "b", 3: "c"}},
            2: {"k": {1: "a", 2: "b", 3: "c"}}}
    assert end_checks(h, good) == []
    # Lost on one node.
    bad = {1: {"k": {1: "a", 2: "b"}}, 2: {"k": {1: "a"}}}
    p = end_checks(h, bad)
    assert any("acknowledged write lost" in x for x in p), p
    # A failed write applied, a skipped version.
    p = end_checks(h, {1: {"k": {1: "a", 2: "b", 3: "d", 5: "c"}}})
    assert any("answered as failed" in x for x in p), p
    assert any("v4 skipped" in x for x in p), p
    # Two check-and-set winners.
    p = end_checks(h + [cas(7, 8, 1, "e", 2)],
                   {1: {"k": {1: "a", 2: "b", 3: "c"}}})
    assert any("version repeated" in x for x in p), p
    assert any("2 check-and-set winners" in x for x in p), p


def test_the_refusal_histories_cofferd_produced():
    # One key's operations from runs that found the known bug (see
    # docs/design.md, "Real faults on real processes"): a check-and-set
    # refused against a version the register did hold. Without the
    # refusals they are linearizable.
    paths = sorted(glob.glob(os.path.join(HISTORIES, "refusal-*.json")))
    assert paths
    for path in paths:
        with open(path) as f:
            d = json.load(f)
        ops = [Op(**dict(o, ret=INF if o["ret"] is None else o["ret"]))
               for o in d["ops"]]
        r = check_key(ops, d["key"])
        assert r.ok is False, path
        assert check_key(ops, d["key"], refusals=False), path
