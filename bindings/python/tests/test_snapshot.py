import io
import time

import pytest

import coffer
from coffer import snapshot
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
    with Cluster(3) as c:
        c.start()
        c.initialize()
        c.unseal_all()
        c.admin().enable_kv("secret")
        yield c


def test_snapshot_to_a_file_inspect_and_restore(ready, tmp_path):
    c = ready
    leader_id = c.wait_for_leader()
    leader = c.admin(leader_id)
    follower = c.admin(next(i for i in c.nodes if i != leader_id))
    leader.kv_put("secret", "s", {"v": "before"})
    path = tmp_path / "cluster.snap"
    follower.snapshot_save(path)
    info = snapshot.inspect(path)
    assert info.voters == [1, 2, 3] and info.records > 0
    assert info.json.startswith("{") and info.text
    buf = io.BytesIO()
    leader.snapshot_save_to(buf)
    assert len(buf.getvalue()) > 0
    leader.kv_put("secret", "s", {"v": "after"})
    with pytest.raises(coffer.UnavailableError):
        follower.snapshot_restore(path)
    leader.snapshot_restore(path)
    assert follower.kv_get("secret", "s").data == {"v": "before"}
    leader.kv_put("secret", "s", {"v": "after again"})
    buf.seek(0)
    leader.snapshot_restore_from(buf)
    assert leader.kv_get("secret", "s").data == {"v": "before"}
    (tmp_path / "junk").write_bytes(b"junk")
    with pytest.raises(coffer.DataLossError):
        snapshot.inspect(tmp_path / "junk")
    with pytest.raises(coffer.NotFoundError):
        snapshot.inspect(tmp_path / "missing")

    class Broken:
        def write(self, data):
            raise OSError("disk full")
    with pytest.raises(OSError):
        leader.snapshot_save_to(Broken())
