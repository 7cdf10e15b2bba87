"""cofferd's sockets: Nagle off everywhere, room for many keep-alive clients.

The first test looks at a running daemon's own sockets: it copies each of
them into this process with pidfd_getfd(2) (a same-user parent may) and
reads their options. No timing is asserted anywhere; the one bound is a
liveness bound, far above what a served request takes.
"""

import ctypes
import errno
import os
import resource
import socket
import struct

import pytest

from cluster import Cluster

SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture
CONNECTIONS = 1000
# A request that waits behind the idle connections waits for minutes (16
# threads, each holding an idle connection for its 5-second keep-alive);
# one that is served takes milliseconds.
LIVENESS_SECONDS = 10

_libc = ctypes.CDLL(None, use_errno=True)


def daemon_sockets(pid):
    """Every IPv4 TCP socket of process `pid`, as sockets of this process
    (copies of the same open sockets: closing them leaves the daemon's)."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError) as e:
        pytest.skip(f"pidfd_open: {e}")
    out = []
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith(
                        "socket:"):
                    continue
            except FileNotFoundError:
                continue  # closed meanwhile
            fd = _libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                err = ctypes.get_errno()
                if err in (errno.EPERM, errno.ENOSYS, errno.EACCES):
                    pytest.skip(f"pidfd_getfd: {os.strerror(err)}")
                continue  # EBADF: closed meanwhile
            s = socket.socket(fileno=fd)
            if s.family == socket.AF_INET and s.type == socket.SOCK_STREAM:
                out.append(s)
            else:
                s.close()
    finally:
        os.close(pidfd)
    return out


def nodelay(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def listen_backlog(s):
    """The accept queue's capacity of a listening socket: Linux reports it
    in tcp_info's tcpi_sacked (what `ss -l` shows as Send-Q)."""
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("I", info, 28)[0]


def peer(s):
    try:
        return s.getpeername()
    except OSError:
        return None  # a listener


def test_http_and_peer_sockets_have_nodelay_and_a_deep_backlog():
    with Cluster(3) as c:
        c.initialized()
        leader = c.settled()
        others = {n.cluster_port for n in c.nodes if n is not leader}
        # A keep-alive client of the leader's API, served once and open.
        client = socket.create_connection(("127.0.0.1", leader.api_port),
                                          timeout=30)
        try:
            client.sendall(b"GET /v1/sys/seal-status HTTP/1.1\r\n"
                           b"Host: 127.0.0.1\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 200"), "served"
            client_port = client.getsockname()[1]
            socks = daemon_sockets(leader.proc.pid)
            try:
                seen = {"http listener": 0, "http connection": 0,
                        "peer listener": 0, "dialed peer": 0,
                        "accepted peer": 0}
                for s in socks:
                    local, remote = s.getsockname()[1], peer(s)
                    if remote is None:
                        kind = {leader.api_port: "http listener",
                                leader.cluster_port: "peer listener"
                                }.get(local)
                        if kind is None:
                            continue
                        seen[kind] += 1
                        assert listen_backlog(s) >= 128, kind
                        if kind == "peer listener":
                            continue  # Asio sets it per accepted socket
                    elif local == leader.api_port:
                        if remote[1] != client_port:
                            continue  # a connection of the harness
                        kind = "http connection"
                        seen[kind] += 1
                    elif local == leader.cluster_port:
                        kind = "accepted peer"
                        seen[kind] += 1
                    elif remote[1] in others:
                        kind = "dialed peer"
                        seen[kind] += 1
                    else:
                        continue
                    assert nodelay(s), f"{kind} {local}->{remote}: Nagle on"
            finally:
                for s in socks:
                    s.close()
        finally:
            client.close()
        assert seen["http listener"] == 1 and seen["http connection"] == 1, \
            seen
        assert seen["peer listener"] == 1, seen
        # The leader sends to both followers and hears from both.
        assert seen["dialed peer"] >= 2 and seen["accepted peer"] >= 2, seen


def open_files_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return soft, hard
    raise AssertionError("no open-files line in /proc/<pid>/limits")


def test_a_thousand_idle_connections_leave_room_for_one_more():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = CONNECTIONS + 100
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the open-file hard limit {hard} is below {need}")
    # The daemon starts with the usual soft limit of 1024 and must raise it
    # itself; this process takes what the connections need.
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
    try:
        c = Cluster(1)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    idle = []
    try:
        with c:
            node = c.nodes[0]
            limit_soft, limit_hard = open_files_limit(node.proc.pid)
            assert limit_soft == limit_hard, (limit_soft, limit_hard)
            for _ in range(CONNECTIONS):
                idle.append(socket.create_connection(
                    ("127.0.0.1", node.api_port), timeout=LIVENESS_SECONDS))
            try:
                r = node.get("sys/seal-status", timeout=LIVENESS_SECONDS)
            except OSError as e:  # a timeout: queued behind the idle ones
                raise AssertionError(
                    f"a new client was not served within {LIVENESS_SECONDS} "
                    f"s of {CONNECTIONS} idle connections: {e!r}") from e
            assert r.status == 200, r
            # A request on the newest idle connection is answered too, or
            # (after 5 idle seconds on a stalled machine) it was closed.
            last = idle[-1]
            last.settimeout(LIVENESS_SECONDS)
            last.sendall(b"GET /v1/sys/seal-status HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\n\r\n")
            answer = last.recv(65536)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 200"), answer
    finally:
        for s in idle:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
