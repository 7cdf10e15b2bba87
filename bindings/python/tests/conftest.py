import pytest

from coffer.testing import Cluster


@pytest.fixture(scope="module")
def cluster():
    """A 3-node cluster, initialized and unsealed, with kv-v2 at secret/."""
    with Cluster(3) as c:
        c.start()
        c.initialize()
        c.unseal_all()
        c.admin().enable_kv("secret")
        yield c


def follower_of(c):
    leader = c.wait_for_leader()
    return next(i for i in sorted(c.nodes) if i != leader)
