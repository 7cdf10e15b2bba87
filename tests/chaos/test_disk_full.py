"""A node whose disk fills up: it refuses what it cannot persist, the
cluster acknowledges nothing it did not persist, and the node serves
again once space returns.

Node 3's data directory is a size-limited tmpfs (mount needs root; the
test skips with the reason otherwise). The test tries to make node 3 the
leader (sys/step-down until it is), fills the filesystem with a file, runs
the recorded workload through every node, frees the space, and checks the
whole history and every acknowledged write on every node.
"""

import errno
import http.client
import os
import random
import subprocess
import time

import pytest

from chaos import (ChaosCluster, Workload, call, final_state, log, restart,
                   wait, wait_healthy)
from linearizability import check, end_checks

SIZE = "16m"
# How long node 3 is given to serve again by itself once space returns.
SELF_RECOVERY = 15


def mount_tmpfs(path):
    """None when mounted, else the reason it is not."""
    if os.geteuid() != 0:
        return "not root: cannot mount a size-limited tmpfs"
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}",
                        "tmpfs", path], capture_output=True, text=True)
    if r.returncode != 0:
        return f"mount -t tmpfs failed: {r.stderr.strip() or r.returncode}"
    return None


def fill(path):
    """Writes path/filler until the filesystem is full; its size."""
    chunk = b"\0" * 65536
    n = 0
    with open(os.path.join(path, "filler"), "wb", buffering=0) as f:
        while n < 1 << 30:
            try:
                n += f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
        # Fill the last partial page too.
        for size in (4096, 512, 1):
            while True:
                try:
                    n += f.write(b"\0" * size)
                except OSError:
                    break
    return n


def test_a_full_disk_refuses_and_recovers():
    rng = random.Random(int(os.environ.get("COFFER_CHAOS_SEED", "16")))
    reason = []

    def before(c):
        path = c.node(3).dir
        why = mount_tmpfs(path)
        if why:
            reason.append(why)
            return
        c.cleanups.append(lambda: subprocess.run(
            ["umount", "-l", path], capture_output=True))

    with ChaosCluster(3, rng, before_start=before) as c:
        if reason:
            print(f"skipped: {reason[0]}")
            pytest.skip(reason[0])
        full = c.node(3)
        c.initialized()
        r = c.nodes[0].post("secret/config", {"max_versions": 100})
        assert r.status == 204, r
        # Node 3 leads, if step-downs get it there in a few tries.
        for _ in range(12):
            leader = wait(c.leader_now, "a leader", timeout=60)
            if leader is full:
                break
            try:
                call(leader, "PUT", "sys/step-down", timeout=10)
            except (OSError, http.client.HTTPException):
                pass  # it stepped down before answering, or is busy
            time.sleep(1.5)
        role = "leader" if c.leader_now() is full else "follower"
        w = Workload(c, rng, clients=4)
        w.start()
        try:
            time.sleep(2)
            filled = fill(full.dir)
            filled_at = time.monotonic()
            log(f"node 3 ({role}): its {SIZE} filesystem is full "
                f"({filled} bytes of filler)")
            time.sleep(6)
            freed_at = time.monotonic()
            os.remove(os.path.join(full.dir, "filler"))
            log("space returned")
            try:
                took = wait_healthy(c, "after the disk full", SELF_RECOVERY)
                how = f"by itself after {took:.1f} s"
            except AssertionError:
                # It gave up (a fatal storage error): a restart recovers.
                full.kill()
                restart(c, full)
                took = wait_healthy(c, "after the restart")
                how = "after a restart"
            log(f"node 3 serves again {how}")
            time.sleep(3)
        finally:
            w.finish()
        keys = sorted({op.key for op in w.history})
        for key in keys:
            w.run_op(full, w.new_op(-2, rng, "read", key))
        final = final_state(c, keys)
        history = list(w.history)
        during = [op for op in history if op.kind != "read" and
                  filled_at < op.call < freed_at]
        others_ok = sum(1 for op in during if op.node != 3 and
                        op.status == "ok" and op.call > filled_at + 5)
        during = [op for op in during if op.node == 3]
        errors = {}
        for op in during:
            if op.status != "ok":
                errors[op.error[:80]] = errors.get(op.error[:80], 0) + 1
        ok_during = sum(1 for op in during if op.status == "ok")
        complaints = [line for line in full.log().splitlines()
                      if "error" in line.lower() or "storage" in line.lower()]
        print(f"node 3 was the {role}; writes through it while full: "
              f"{ok_during} ok, errors {errors}; writes acknowledged through "
              f"the others from 5 s after the fill: {others_ok}; node 3 "
              f"recovered {how}")
        print("node 3's log on it:\n  " + "\n  ".join(complaints[:10]))
        print(f"operations: {len(history)}: {w.counts()}")
        bad = check(history)
        problems = end_checks(history, final)
        for r in bad:
            print(r.detail)
        assert not bad
        assert not problems, problems[:5]
        # The node checks the token itself: a full disk is never a 403.
        mistakes = [op for op in history
                    if op.status == "fail" and op.error != "cas mismatch"]
        assert not mistakes, mistakes[:5]
        # The others go on without it.
        assert others_ok > 0, "the cluster stopped serving with one full disk"
