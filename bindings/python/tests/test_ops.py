import time

import pytest

import coffer
from coffer.testing import Cluster


def wait(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def ready():
    lines = []
    with Cluster(3, log=lambda level, m: lines.append((level, m)),
                 mlock=False) as c:
        c.start()
        c.initialize()
        c.unseal_all()
        c.admin().enable_kv("secret")
        c.log_lines = lines
        yield c


def test_operator_operations_and_the_log_hook(ready):
    c = ready
    leader = c.wait_for_leader()
    target = leader % 3 + 1
    c.admin(leader).transfer_leadership(target)
    assert c.wait_for_leader() == target
    assert c.admin(target).key_status().term == 1
    status = c.admin(leader).rotate_key()
    assert status.term == 2 and status.install_time is not None
    assert c.admin(target).key_status().term == 2
    fresh = c.node(target).rekey(c.init.keys[:3], 4, 2)
    assert len(fresh) == 4
    with pytest.raises(coffer.FailedPreconditionError):
        c.node(target).seal_migrate(fresh[:2])
    assert c.log_lines and all(m.startswith("node ")
                               for _, m in c.log_lines)
    peers = c.admin(target).peers()
    assert all(p.last_contact.total_seconds() >= 0 for p in peers)
    assert not c.node(target).seal_status().removed_from_cluster
