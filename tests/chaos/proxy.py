"""Fault points between cofferd peers: a frame-aware TCP proxy per node.

cofferd's peer transport opens one outbound connection per peer and only
writes to it (examples/cofferd/peer_transport.h): node i's frames for node
j all travel on connections that i dials to j's advertised cluster_addr.
Every node advertises the address of its own proxy here (cluster_addr)
and listens on another port (listener.tcp.cluster_address), so every
node -> node connection goes through the test.

Addresses are replicated in coffer (PeerRecord), so all nodes dial node j
at the same address: one proxy per destination. It tells the source of a
connection from its first frame: each frame is a 4-byte big-endian length
and a body, and the first is either the sender's hello ("cofferd-hello/1",
its id and its API URL on three lines; examples/cofferd/api_addrs.h) or a
nodepb::Frame, whose field 2 is the sender's id (proto/node.proto).
The proxy forwards whole frames, so it can drop or delay frames without
corrupting the stream, and faults are per directed link (src, dst):

  block (mode "drop"): frames from src to dst are read and discarded, the
      connection stays open (a black hole, as a cut cable looks to TCP);
  block (mode "close"): the link's connections are closed, and new ones
      are closed as soon as their source is known (the sender reconnects
      with backoff);
  delay: each frame is delivered `delay` seconds (plus up to `jitter`)
      after it arrived, in order;
  loss: each frame is dropped with probability `loss`.

Healing a link ends its faults; connections open across a black hole stay
usable, since whole frames were dropped.

Thread-safety: the proxies run on one asyncio loop in a thread of their
own; every public method may be called from any thread.
"""

import asyncio
import struct
import threading

# Larger than cofferd's max_frame_bytes (128 MiB): a length beyond it
# means the stream is not what the proxy thinks, and it closes.
MAX_FRAME = 256 << 20


HELLO_PREFIX = b"cofferd-hello/1\n"


def frame_sender(body):
    """The sender's id: a hello's, or the `from` field (2, varint) of a
    serialized nodepb::Frame; None when the body is neither."""
    if body.startswith(HELLO_PREFIX):
        line = body[len(HELLO_PREFIX):].split(b"\n", 1)[0]
        return int(line) if line.isdigit() else None
    i, n = 0, len(body)

    def varint():
        nonlocal i
        shift = result = 0
        while i < n and shift < 70:
            b = body[i]
            i += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
        raise ValueError("truncated varint")

    try:
        while i < n:
            key = varint()
            field, wire = key >> 3, key & 7
            if wire == 0:
                value = varint()
                if field == 2:
                    return value
            elif wire == 1:
                i += 8
            elif wire == 2:
                i += varint()
            elif wire == 5:
                i += 4
            else:
                return None
    except ValueError:
        return None
    return None


class Link:
    """The faults of one directed link; mutated on the loop thread only."""

    def __init__(self):
        self.block = None  # None, "drop" or "close"
        self.delay = 0.0
        self.jitter = 0.0
        self.loss = 0.0

    def healthy(self):
        return (self.block is None and self.delay == 0 and self.loss == 0)


class Proxies:
    """One proxy per node id; proxy ports are given, targets too.

    targets: {node_id: real peer listener port}; ports: {node_id: proxy
    port} (both on 127.0.0.1). rng: a random.Random for loss and jitter.
    """

    def __init__(self, targets, ports, rng):
        self.targets = dict(targets)
        self.ports = dict(ports)
        self.rng = rng
        self.ids = sorted(targets)
        self.links = {(s, d): Link() for s in self.ids for d in self.ids
                      if s != d}
        # Counters, read by the test (loop thread writes, others read).
        self.stats = {"connections": 0, "frames": 0, "dropped": 0,
                      "closed": 0, "unknown_source": 0}
        self._conns = {}  # (src, dst) -> set of writer pairs
        self._servers = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="chaos-proxy")
        self._thread.start()
        if not self._ready.wait(10) or self._error:
            raise RuntimeError(f"proxies did not start: {self._error}")

    # --- control (any thread) ---------------------------------------------

    def _call(self, fn, *args):
        """Runs fn(*args) on the loop and returns its result."""
        fut = asyncio.run_coroutine_threadsafe(self._wrap(fn, *args),
                                               self._loop)
        return fut.result(timeout=10)

    async def _wrap(self, fn, *args):
        return fn(*args)

    def block(self, pairs, mode="drop"):
        """Blocks each directed (src, dst) in pairs."""
        assert mode in ("drop", "close")
        self._call(self._block, list(pairs), mode)

    def _block(self, pairs, mode):
        for p in pairs:
            self.links[p].block = mode
            if mode == "close":
                self._close_link(p)

    def slow(self, pairs, delay=0.0, jitter=0.0, loss=0.0):
        """Delays and/or loses frames on each directed (src, dst)."""
        def f():
            for p in pairs:
                link = self.links[p]
                link.delay, link.jitter, link.loss = delay, jitter, loss
        self._call(f)

    def heal(self):
        """Ends every fault on every link."""
        def f():
            for link in self.links.values():
                link.block, link.delay, link.jitter, link.loss = (
                    None, 0.0, 0.0, 0.0)
        self._call(f)

    def healthy(self):
        return self._call(
            lambda: all(link.healthy() for link in self.links.values()))

    def partition(self, groups, mode="drop"):
        """Blocks both directions between nodes of different groups."""
        where = {n: i for i, g in enumerate(groups) for n in g}
        self.block([(s, d) for (s, d) in self.links
                    if where.get(s) != where.get(d)], mode)

    def close(self):
        if not self._thread.is_alive():
            return
        try:
            self._call(self._shutdown_sync)
        except Exception:  # noqa: BLE001 (best effort at teardown)
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # --- loop thread ------------------------------------------------------

    def _run(self):
        asyncio.set_event_loop(self._loop)
        try:
            for node_id in self.ids:
                server = self._loop.run_until_complete(asyncio.start_server(
                    lambda r, w, d=node_id: self._accept(r, w, d),
                    "127.0.0.1", self.ports[node_id]))
                self._servers.append(server)
        except OSError as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    def _shutdown_sync(self):
        for s in self._servers:
            s.close()
        for p in list(self._conns):
            self._close_link(p)

    def _close_link(self, pair):
        for down, up in list(self._conns.get(pair, ())):
            self.stats["closed"] += 1
            down.close()
            if up is not None:
                up.close()
        self._conns.pop(pair, None)

    async def _accept(self, reader, writer, dst):
        self.stats["connections"] += 1
        up = None
        pair = None
        entry = None
        try:
            header = await reader.readexactly(4)
            (length,) = struct.unpack(">I", header)
            if length > MAX_FRAME:
                return
            body = await reader.readexactly(length)
            src = frame_sender(body)
            if src not in self.ids or src == dst:
                self.stats["unknown_source"] += 1
                return
            pair = (src, dst)
            link = self.links[pair]
            if link.block == "close":
                self.stats["closed"] += 1
                return
            up_reader, up = await asyncio.open_connection(
                "127.0.0.1", self.targets[dst])
            entry = (writer, up)
            self._conns.setdefault(pair, set()).add(entry)
            queue = asyncio.Queue()
            pump = asyncio.ensure_future(self._pump(queue, up, pair, writer))
            watch = asyncio.ensure_future(self._watch(up_reader, writer))
            try:
                await self._frame(queue, pair, header + body)
                while True:
                    header = await reader.readexactly(4)
                    (length,) = struct.unpack(">I", header)
                    if length > MAX_FRAME:
                        return
                    body = await reader.readexactly(length)
                    await self._frame(queue, pair, header + body)
            finally:
                pump.cancel()
                watch.cancel()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            if entry is not None:
                self._conns.get(pair, set()).discard(entry)
            writer.close()
            if up is not None:
                up.close()

    async def _frame(self, queue, pair, data):
        link = self.links[pair]
        self.stats["frames"] += 1
        if link.block is not None or (link.loss and
                                      self.rng.random() < link.loss):
            self.stats["dropped"] += 1
            return
        when = self._loop.time() + link.delay + (
            self.rng.uniform(0, link.jitter) if link.jitter else 0.0)
        await queue.put((when, data))

    async def _watch(self, up_reader, down):
        """The receiver never writes: EOF or an error means it closed, and
        the sender must notice (it reconnects)."""
        try:
            await up_reader.read(1)
        except (OSError, asyncio.CancelledError):
            return
        down.close()

    async def _pump(self, queue, up, pair, down):
        """Writes queued frames upstream at their delivery times, in order;
        closes the sender's side when the receiver's side fails."""
        try:
            while True:
                when, data = await queue.get()
                wait = when - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.links[pair].block is not None:
                    self.stats["dropped"] += 1  # blocked while delayed
                    continue
                up.write(data)
                await up.drain()
        except asyncio.CancelledError:
            return
        except OSError:
            down.close()
