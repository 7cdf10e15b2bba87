"""cofferd reads Vault's own vault.hcl: a 3-node raft cluster formed by
retry_join as in Vault's docs, and bad files refused with the line and key."""

import os
import subprocess

import pytest

from cluster import COFFERD, Cluster, wait_for


def vault_hcl(node, join_to):
    """A vault.hcl in the shape of Vault's integrated-storage example."""
    joins = "".join(
        f"""
  retry_join {{
    leader_api_addr = "{n.url}"
  }}""" for n in join_to)
    return f"""# Vault's raft storage example, as cofferd takes it.
storage "raft" {{
  path    = "{node.dir}"
  node_id = "{node.id}"
{joins}
}}

listener "tcp" {{
  address         = "127.0.0.1:{node.api_port}"
  cluster_address = "{node.cluster_addr}"
  tls_disable     = true
}}

telemetry {{
  prometheus_retention_time = "30s"
  disable_hostname          = true
}}

api_addr      = "{node.url}"
cluster_addr  = "https://{node.cluster_addr}"
ui            = true
disable_mlock = true

/* coffer's own tuning, for a quick test */
coffer {{
  tick           = "50ms"
  election_ticks = 10
}}
"""


def start(node, text):
    """Starts cofferd on a vault.hcl (cluster.py's Node writes JSON)."""
    node.config_path = os.path.join(node.cluster.dir, f"node{node.id}.hcl")
    with open(node.config_path, "w") as f:
        f.write(text)
    log = open(node.log_path, "ab")
    node.proc = subprocess.Popen(
        [COFFERD, "server", f"-config={node.config_path}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    log.close()
    wait_for(lambda: node.running() and node.get("sys/seal-status").status
             == 200, f"node {node.id} serving its API")


def servers(node):
    r = node.get("sys/storage/raft/configuration")
    assert r.status == 200, r
    return r.body["data"]["config"]["servers"]


def test_three_nodes_from_vault_hcl_files_join_by_retry_join():
    with Cluster(3, bootstrap=1, start=False) as c:
        n1, n2, n3 = c.nodes
        # The first node has no retry_join, so it bootstraps alone (Vault's
        # first node); the others list every node, as in Vault's docs.
        start(n1, vault_hcl(n1, []))
        c.leader(among=[n1])
        c.init(via=n1)
        c.unseal_all(among=[n1])
        assert n1.post("sys/mounts/secret", {"type": "kv-v2"}).status == 204
        assert n1.post("secret/data/app", {"data": {"v": "1"}}).status == 200
        for node in (n2, n3):
            start(node, vault_hcl(node, c.nodes))
        for node in (n2, n3):
            wait_for(lambda: node.get("sys/seal-status").body["initialized"],
                     f"node {node.id} received the join challenge")
            for key in c.keys[:2]:
                assert node.post("sys/unseal", {"key": key}).status == 200
        wait_for(lambda: len(servers(n1)) == 3, "nodes 2 and 3 admitted")
        wait_for(lambda: all(s["voter"] for s in servers(n1)),
                 "nodes 2 and 3 promoted to voters")
        for node in (n2, n3):
            wait_for(lambda: node.get("sys/seal-status").body["sealed"]
                     is False, f"node {node.id} unsealed")
        assert n3.post("secret/data/later", {"data": {"v": "2"}}).status == 200
        for node in c.nodes:
            r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
                node.get("secret/data/later")), f"node {node.id} reads")
            assert r.body["data"]["data"] == {"v": "2"}
            assert node.get("secret/data/app").body["data"]["data"] == {
                "v": "1"}


GOOD = """storage "raft" {
  path    = "/nonexistent/coffer-test"
  node_id = "1"
}
listener "tcp" {
  address     = "127.0.0.1:1"
  tls_disable = true
}
"""


@pytest.mark.parametrize("text, expected", [
    # An unknown key: its line, column and name.
    (GOOD + 'max_lease_ttl = "768h"\n',
     'vault.hcl: 9:1: max_lease_ttl: unknown key'),
    (GOOD.replace('node_id = "1"', 'node_id = "1"\n  performance_multiplier = 1'),
     'vault.hcl: 4:3: storage.raft.performance_multiplier: unknown key'),
    # A bad value.
    (GOOD.replace('node_id = "1"', 'node_id = "raft_node_1"'),
     'vault.hcl: 3:3: storage.raft.node_id: must be an integer >= 1'),
    (GOOD.replace("tls_disable = true", 'tls_disable = "yes"'),
     'vault.hcl: 7:3: listener.tcp.tls_disable: must be true or false'),
    (GOOD + 'ui = "yes"\n', 'vault.hcl: 9:6: ui: must be true or false'),
    # A seal that cofferd cannot serve, by name.
    (GOOD + 'seal "awskms" {\n  region = "us-east-1"\n}\n',
     'vault.hcl: 9:1: seal "awskms": cofferd serves only the shamir seal'),
    (GOOD + 'seal "transit" {}\n',
     'vault.hcl: 9:1: seal "transit": cofferd serves only the shamir seal'),
    # A syntax error, and a block with the wrong number of labels.
    (GOOD.replace('"/nonexistent/coffer-test"', '"/nonexistent'),
     'vault.hcl: 2:13: unterminated string'),
    (GOOD.replace('storage "raft"', 'storage'),
     'vault.hcl: 1:1: block "storage" takes 1 label, not 0'),
    # A missing block has no line to point at.
    ('ui = true\n', 'vault.hcl: storage.raft: required'),
])
def test_a_bad_vault_hcl_is_refused_naming_the_line_and_key(
        tmp_path, text, expected):
    path = tmp_path / "vault.hcl"
    path.write_text(text)
    r = subprocess.run([COFFERD, "server", f"-config={path}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert expected in r.stderr, r.stderr
