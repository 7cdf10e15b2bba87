import os
import subprocess
import sys

import pytest

import coffer
from coffer import errors


def test_version_and_abi():
    assert coffer.ABI_VERSION == 2
    assert coffer.__version__.count(".") == 2


def test_every_code_has_its_exception_class():
    for code in range(1, 17):
        e = errors.error_for(code, "m")
        assert isinstance(e, coffer.CofferError)
        assert e.code == code and e.message == "m"
        assert type(e).code == code
    assert type(errors.error_for(99, "m")) is coffer.CofferError
    assert str(errors.error_for(5, "no such key")) == "NOT_FOUND: no such key"


def test_a_missing_library_is_a_clear_import_error():
    env = dict(os.environ, COFFER_LIBRARY="/nonexistent/libcoffer.so")
    r = subprocess.run([sys.executable, "-c", "import coffer"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "cannot load libcoffer" in r.stderr
    assert "COFFER_LIBRARY" in r.stderr


def test_open_names_a_bad_option(tmp_path):
    with pytest.raises(coffer.InvalidArgumentError) as e:
        coffer.Node(0, "a", str(tmp_path), lambda *a: None)
    assert "options.id" in e.value.message
    with pytest.raises(coffer.InvalidArgumentError) as e:
        coffer.Node(1, "a", str(tmp_path), lambda *a: None, tick=0)
    assert "options.tick" in e.value.message
    with pytest.raises(coffer.InvalidArgumentError) as e:
        coffer.Node(1, "a", str(tmp_path), lambda *a: None,
                    key_rotation_max_operations=10)
    assert "options.key_rotation_max_operations" in e.value.message


def test_a_closed_node_refuses_calls(tmp_path):
    node = coffer.Node(1, "a", str(tmp_path), lambda *a: None)
    node.bootstrap({1: "a"})
    node.close()
    node.close()  # idempotent
    with pytest.raises(coffer.FailedPreconditionError):
        node.seal_status()
    assert node.receive(b"frame") is False


def test_a_single_node_with_a_python_kms_unseals_itself(tmp_path):
    class XorKms:
        type = "xorkms"
        key_id = "key-1"

        def __init__(self):
            self.fail = False
            self.calls = 0

        def wrap(self, key_id, plaintext):
            self.calls += 1
            if self.fail:
                raise coffer.UnavailableError(14, "kms down")
            return b"xor:" + bytes(b ^ 0x5A for b in plaintext)

        def unwrap(self, key_id, ciphertext):
            self.calls += 1
            assert key_id == "key-1" and ciphertext.startswith(b"xor:")
            return bytes(b ^ 0x5A for b in ciphertext[4:])

    kms = XorKms()
    with coffer.testing.Cluster(1, kms=kms) as c:
        c.start()
        kms.fail = True
        with pytest.raises(coffer.UnavailableError):
            c.node(1).initialize(recovery_shares=1, recovery_threshold=1)
        kms.fail = False
        init = c.node(1).initialize(recovery_shares=1, recovery_threshold=1)
        assert init.keys == [] and len(init.recovery_keys) == 1
        assert "root token>" in repr(init) and init.root_token not in repr(init)
        for _ in range(3000):
            if not c.node(1).seal_status().sealed:
                break
            import time
            time.sleep(0.01)
        status = c.node(1).seal_status()
        assert not status.sealed and status.type == "xorkms"
        assert status.recovery_seal
        admin = c.node(1).as_caller(init.root_token)
        admin.put_raw("k", "v")
        assert admin.get_raw("k") == b"v"
