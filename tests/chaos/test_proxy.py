"""The fault proxy on loopback sockets of the test (no daemon needed)."""

import queue
import random
import socket
import struct
import threading
import time

from proxy import Proxies, frame_sender


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def frame(src, dst, payload=b"x"):
    """A nodepb::Frame-shaped message: version, from, from_address, to, a
    length-delimited body, framed by its 4-byte length."""
    addr = b"127.0.0.1:1"
    body = (b"\x08\x01" + b"\x10" + varint(src) + b"\x1a" + varint(len(addr))
            + addr + b"\x20" + varint(dst) + b"\x2a" + varint(len(payload))
            + payload)
    return struct.pack(">I", len(body)) + body


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Sink:
    """A peer listener that records the payload of each frame it reads."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.got = queue.Queue()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(c,), daemon=True).start()

    def _read(self, c):
        f = c.makefile("rb")
        while True:
            h = f.read(4)
            if len(h) < 4:
                return
            body = f.read(struct.unpack(">I", h)[0])
            self.got.put((frame_sender(body), body[-1:], time.monotonic()))

    def next(self, timeout=3):
        try:
            return self.got.get(timeout=timeout)
        except queue.Empty:
            return None


def test_frame_sender_reads_field_two():
    assert frame_sender(frame(7, 1)[4:]) == 7
    assert frame_sender(frame(300, 1)[4:]) == 300
    assert frame_sender(b"") is None
    assert frame_sender(b"\x10") is None  # truncated


def test_frame_sender_reads_a_hello():
    assert frame_sender(b"cofferd-hello/1\n12\nhttp://127.0.0.1:1") == 12
    assert frame_sender(b"cofferd-hello/1\nx\nhttp://127.0.0.1:1") is None


def test_forwards_blocks_one_way_delays_and_heals():
    sinks = {1: Sink(), 2: Sink()}
    ports = dict(zip((1, 2), free_ports(2)))
    p = Proxies({i: s.port for i, s in sinks.items()}, ports,
                random.Random(1))
    try:
        a = socket.create_connection(("127.0.0.1", ports[2]))  # 1 -> 2
        b = socket.create_connection(("127.0.0.1", ports[1]))  # 2 -> 1
        a.sendall(frame(1, 2, b"a"))
        assert sinks[2].next()[:2] == (1, b"a")
        # One way: 1 -> 2 is a black hole, 2 -> 1 still flows, and the
        # connection stays usable after healing.
        p.block([(1, 2)], "drop")
        a.sendall(frame(1, 2, b"b"))
        b.sendall(frame(2, 1, b"c"))
        assert sinks[1].next()[:2] == (2, b"c")
        assert sinks[2].next(timeout=0.5) is None
        p.heal()
        a.sendall(frame(1, 2, b"d"))
        assert sinks[2].next()[:2] == (1, b"d")
        # Delay.
        p.slow([(1, 2)], delay=0.3)
        sent = time.monotonic()
        a.sendall(frame(1, 2, b"e"))
        got = sinks[2].next()
        assert got[1] == b"e" and got[2] - sent >= 0.28
        p.heal()
        # Close: the open connection is closed, a new one too.
        p.block([(1, 2)], "close")
        a.settimeout(3)
        assert a.recv(1) == b""
        c = socket.create_connection(("127.0.0.1", ports[2]))
        c.settimeout(3)
        c.sendall(frame(1, 2, b"f"))
        assert c.recv(1) == b""
        assert sinks[2].next(timeout=0.5) is None
        p.heal()
        d = socket.create_connection(("127.0.0.1", ports[2]))
        d.sendall(frame(1, 2, b"g"))
        assert sinks[2].next()[:2] == (1, b"g")
        assert p.stats["dropped"] >= 1 and p.stats["closed"] >= 2
        for s in (a, b, c, d):
            s.close()
    finally:
        p.close()
