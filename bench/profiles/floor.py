"""The irreducible Python costs of one message, for callgrind.

    python bench/profiles/floor.py WHAT N

WHAT:
  loop     the benchmark loop alone (for subtraction)
  await2   awaiting two trivial coroutines (a send() and a recv() that do nothing)
  calls6   awaiting them, plus 6 trivial method calls (strategy, pipe, link,
           codec or queue: the fewest layers a socket send and receive cross)
  deque    await2 + a message list made, appended to a deque and popped
  all      calls6 + deque: a lower bound for inproc PUSH -> PULL in pure Python
"""

from __future__ import annotations

import asyncio
import collections
import sys


class Layer:
    __slots__ = ("next",)

    def __init__(self, nxt: Layer | None) -> None:
        self.next = nxt

    def call(self, message: list[bytes]) -> bool:
        return True if self.next is None else self.next.call(message)


class Socket:
    __slots__ = ("inbound", "top")

    def __init__(self, depth: int) -> None:
        layer = None
        for _ in range(depth):
            layer = Layer(layer)
        self.top = layer
        self.inbound: collections.deque[list[bytes]] = collections.deque()

    async def send_nothing(self, data: bytes) -> None:
        return None

    async def recv_nothing(self) -> bytes:
        return b""

    async def send_calls(self, data: bytes) -> None:
        self.top.call([data])  # type: ignore[union-attr]

    async def recv_calls(self) -> bytes:
        self.top.call([])  # type: ignore[union-attr]
        return b""

    async def send_queue(self, data: bytes) -> None:
        self.inbound.append([data])

    async def recv_queue(self) -> bytes:
        return self.inbound.popleft()[0]

    async def send_all(self, data: bytes) -> None:
        message = [data]
        self.top.call(message)  # type: ignore[union-attr]
        self.inbound.append(message)

    async def recv_all(self) -> bytes:
        self.top.call([])  # type: ignore[union-attr]
        return self.inbound.popleft()[0]


async def main(what: str, n: int) -> None:
    sock = Socket(3)
    data = b"x" * 16
    if what == "loop":
        for _ in range(n):
            pass
    elif what == "await2":
        for _ in range(n):
            await sock.send_nothing(data)
            await sock.recv_nothing()
    elif what == "calls6":
        for _ in range(n):
            await sock.send_calls(data)
            await sock.recv_calls()
    elif what == "deque":
        for _ in range(n):
            await sock.send_queue(data)
            await sock.recv_queue()
    elif what == "all":
        for _ in range(n):
            await sock.send_all(data)
            await sock.recv_all()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
