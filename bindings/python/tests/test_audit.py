import json
import threading

import pytest

import coffer
from coffer.testing import Cluster


class Records:
    """What the nodes' audit hooks received (called from many threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lines = []
        self.refuse = False

    def __call__(self, record):
        with self.lock:
            if self.refuse:
                raise OSError("the host's audit sink is down")
            self.lines.append(record)

    def all(self):
        with self.lock:
            return list(self.lines)


@pytest.fixture(scope="module")
def audited():
    records = Records()
    with Cluster(3, audit=records) as c:
        c.start()
        c.initialize()
        c.unseal_all()
        c.admin().enable_kv("secret")
        yield c, records


def test_devices_are_enabled_listed_and_disabled(audited, tmp_path):
    c, _ = audited
    admin = c.admin()
    admin.enable_audit("hook", "callback", description="the host's")
    log = tmp_path / "audit.log"
    admin.enable_audit("file", "file", {"file_path": str(log)})
    devices = admin.audit_devices()
    assert [d.path for d in devices] == ["file/", "hook/"]
    assert devices[0].options == {"file_path": str(log)}
    assert devices[1] == coffer.AuditDevice("hook/", "callback", "the host's",
                                            {})
    with pytest.raises(coffer.InvalidArgumentError):
        admin.enable_audit("hook", "callback")  # in use
    with pytest.raises(coffer.InvalidArgumentError):
        admin.enable_audit("x", "syslog")
    admin.disable_audit("file")
    with pytest.raises(coffer.NotFoundError):
        admin.disable_audit("file")
    assert [d.path for d in admin.audit_devices()] == ["hook/"]


def test_records_hash_secrets_and_audit_hash_finds_them(audited):
    c, records = audited
    admin = c.admin()
    value = "py-audit-secret-value"
    admin.kv_put("secret", "app/py", {"password": value})
    assert admin.kv_get("secret", "app/py").data == {"password": value}
    lines = records.all()
    entries = [json.loads(line) for line in lines]
    assert {"request", "response"} <= {e["type"] for e in entries}
    text = "\n".join(lines)
    assert value not in text and c.init.root_token not in text
    hashed = admin.audit_hash("hook", value)
    assert hashed.startswith("hmac-sha256:") and hashed in text


def test_a_token_without_sudo_cannot_touch_devices(audited):
    c, _ = audited
    admin = c.admin()
    app = c.node(1).as_caller(admin.create_token(["default"]).id)
    with pytest.raises(coffer.PermissionDeniedError):
        app.audit_devices()
    with pytest.raises(coffer.PermissionDeniedError):
        app.disable_audit("hook")


def test_when_the_only_device_cannot_record_requests_fail(audited):
    c, records = audited
    admin = c.admin()
    records.refuse = True
    try:
        with pytest.raises(coffer.CofferError):
            admin.kv_put("secret", "lost", {"v": "x"})
    finally:
        records.refuse = False
    with pytest.raises(coffer.NotFoundError):
        admin.kv_get("secret", "lost")
