"""cofferd with TLS: mutual TLS on the HTTP API and between peers."""

import os
import socket
import ssl
import subprocess
import urllib.request

import pytest

from cluster import COFFER_CLI, Cluster, Tls, wait_for


def test_a_cluster_over_mutual_tls():
    with Cluster(3, tls=True) as c:
        c.initialized()
        leader = c.leader()
        standby = next(n for n in c.nodes if n is not leader)
        # Writes through a standby cross the peer transport (TLS) twice.
        r = standby.post("secret/data/tls", {"data": {"v": "over tls"}})
        assert r.status == 200, r
        for node in c.nodes:
            r = node.get("secret/data/tls")
            assert r.body["data"]["data"] == {"v": "over tls"}, r

        # Without a client certificate the API refuses the handshake.
        ctx = ssl.create_default_context(cafile=c.tls.ca)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"{standby.url}/v1/sys/health",
                                   context=ctx, timeout=10).read()
        # A peer without a certificate cannot talk to the cluster port.
        with socket.create_connection(("127.0.0.1", leader.cluster_port),
                                      timeout=10) as s:
            with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
                with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                    t.sendall(b"\0\0\0\4abcd")
                    t.recv(1)
        # A certificate from another CA is refused too.
        other = Tls(os.path.join(c.dir, "other"))
        bad = ssl.create_default_context(cafile=c.tls.ca)
        bad.load_cert_chain(other.cert, other.key)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"{standby.url}/v1/sys/health",
                                   context=bad, timeout=10).read()

        # The CLI with Vault's TLS variables.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VAULT_", "COFFER_"))}
        env.update(VAULT_ADDR=standby.url, VAULT_TOKEN=c.token,
                   VAULT_CACERT=c.tls.ca, VAULT_CLIENT_CERT=c.tls.cert,
                   VAULT_CLIENT_KEY=c.tls.key)
        p = subprocess.run([COFFER_CLI, "kv", "get", "-field=v",
                            "secret/tls"], capture_output=True, text=True,
                           env=env, timeout=60)
        assert p.returncode == 0 and p.stdout == "over tls\n", p

        # A leader killed under TLS: the others elect a new one and
        # reconnect to it when it returns.
        leader.kill()
        new = c.leader(among=c.running())
        assert new.post("secret/data/after", {"data": {"v": "x"}}).status \
            == 200
        leader.start()
        leader.unseal(c.keys[:2])
        # Once the new leader's link to it is back (after its backoff).
        r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
            leader.get("secret/data/after")), "the restarted node serves")
        assert r.body["data"]["data"] == {"v": "x"}, r
