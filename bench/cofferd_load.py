#!/usr/bin/env python3
"""cofferd_load: KV v2 writes over keep-alive HTTP to a 3-process cluster.

    bench/cofferd_load.py [--clients 1,16,64] [--seconds 10] [--runs 1]
                          [--cofferd PATH]...

Starts three cofferd processes on loopback (tests/cluster/cluster.py),
initializes and unseals them, enables kv-v2 at secret/, then for each
client count drives that many threads, each with one keep-alive
connection (TCP_NODELAY, one send per request) to the leader, writing
256-byte values to keys of its own for --seconds after a 1-second warm-up.
Per client count it prints the rate, the p50 and p99 latency, the servers'
CPU per write (utime+stime from /proc/<pid>/stat, summed over the three),
the load generator's own CPU per write, and how often the server closed a
connection (a reconnect's connect time counts in that request's latency).

With --runs R every row is the median of R runs; with several --cofferd
binaries the runs alternate between them (A B A B ...), a fresh cluster
per run, and each binary gets its own rows. Only the standard library.
"""

import argparse
import json
import os
import resource
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "cluster"))
import cluster  # noqa: E402

VALUE_BYTES = 256
WARMUP_SECONDS = 1.0
IO_TIMEOUT = 30


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server closes."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""
        self.reconnects = -1  # the first connect is not a reconnect

    def _connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port),
                                             timeout=IO_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.reconnects += 1

    def _read_until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        head, self.buf = self.buf.split(marker, 1)
        return head

    def _read_exactly(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, raw):
        """Sends one request; returns its status code."""
        if self.sock is None:
            self._connect()
        self.sock.sendall(raw)
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        length, close = 0, False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value == "close":
                close = True
        self._read_exactly(length)
        if close:
            self.close()
        return status

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def write_request(token, key):
    body = json.dumps({"data": {"v": "x" * VALUE_BYTES}}).encode()
    return (f"POST /v1/secret/data/{key} HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nX-Vault-Token: {token}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def run_clients(c, clients, seconds):
    leader = c.leader()
    pids = [n.proc.pid for n in c.nodes]
    stop = threading.Event()
    measuring = threading.Event()
    latencies = [[] for _ in range(clients)]
    reconnects = [0] * clients
    errors = []

    def client(i):
        conn = Connection(leader.api_port)
        n = 0
        try:
            while not stop.is_set():
                raw = write_request(c.token, f"load/c{i}/k{n}")
                n += 1
                t0 = time.perf_counter()
                if conn.request(raw) != 200:
                    raise AssertionError("a write was refused")
                if measuring.is_set():
                    latencies[i].append(time.perf_counter() - t0)
            reconnects[i] = conn.reconnects
        except Exception as e:  # reported below, stops the run
            errors.append(f"client {i}: {e!r}")
            stop.set()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(WARMUP_SECONDS)
    cpu0 = [cpu_seconds(p) for p in pids]
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    measuring.set()
    time.sleep(seconds)
    measuring.clear()
    elapsed = time.monotonic() - t0
    cpu1 = [cpu_seconds(p) for p in pids]
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    stop.set()
    for t in threads:
        t.join(IO_TIMEOUT + 5)
    if errors:
        raise SystemExit("cofferd_load: " + "; ".join(errors[:3]))
    lat = sorted(x for per in latencies for x in per)
    writes = len(lat)
    if writes == 0:
        raise SystemExit("cofferd_load: no write completed")
    server_cpu = sum(b - a for a, b in zip(cpu0, cpu1))
    own_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime +
                                                   self0.ru_stime)
    return {
        "rate": writes / elapsed,
        "p50": lat[len(lat) // 2] * 1e3,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        "server_cpu": server_cpu / writes * 1e3,
        "own_cpu": own_cpu / writes * 1e3,
        "reconnects": sum(reconnects),
    }


def one_run(binary, counts, seconds):
    cluster.COFFERD = binary
    results = {}
    with cluster.Cluster(3) as c:
        c.initialized()
        c.settled()
        for n in counts:
            results[n] = run_clients(c, n, seconds)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", default="1,16,64",
                   help="comma-separated client counts (default 1,16,64)")
    p.add_argument("--seconds", type=float, default=10,
                   help="measured seconds per client count (default 10)")
    p.add_argument("--runs", type=int, default=1,
                   help="runs per binary; rows are medians (default 1)")
    p.add_argument("--cofferd", action="append",
                   help="cofferd binary (repeatable; default: the build's)")
    a = p.parse_args()
    try:
        counts = [int(x) for x in a.clients.split(",")]
    except ValueError:
        p.error("--clients takes comma-separated integers")
    if any(n <= 0 for n in counts) or a.seconds <= 0 or a.runs <= 0:
        p.error("--clients, --seconds and --runs must be positive")
    binaries = a.cofferd or [cluster.COFFERD]
    # Every client holds a socket; the harness holds a few more.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    runs = {b: [] for b in binaries}
    for r in range(a.runs):
        for b in binaries:
            res = one_run(b, counts, a.seconds)
            runs[b].append(res)
            for n in counts:
                x = res[n]
                print(f"# run {r + 1} {b} clients={n}: {x['rate']:.0f}/s "
                      f"p50 {x['p50']:.1f} ms p99 {x['p99']:.1f} ms",
                      file=sys.stderr, flush=True)

    print(f"{'binary':<40} {'clients':>7} {'writes/s':>9} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'srv cpu ms/w':>12} {'gen cpu ms/w':>12} "
          f"{'reconn':>7}")
    for b in binaries:
        for n in counts:
            med = {k: statistics.median(run[n][k] for run in runs[b])
                   for k in runs[b][0][n]}
            print(f"{b[-40:]:<40} {n:>7} {med['rate']:>9.0f} "
                  f"{med['p50']:>8.2f} {med['p99']:>8.2f} "
                  f"{med['server_cpu']:>12.3f} {med['own_cpu']:>12.3f} "
                  f"{med['reconnects']:>7.0f}")


if __name__ == "__main__":
    main()
