"""An echo peer on pyomq (not a test module): run by test_interop_pyomq.py
with the Python >= 3.12 that has pyomq (``make peers``).

``_pyomq_echo.py KIND MODE ENDPOINT COUNT``: a PEER or CHANNEL that binds
(MODE ``bind``, printing the endpoint it got) or connects (``connect``) and
answers COUNT messages with ``echo:`` + the message, to the sender's routing
id on PEER. A connecting CHANNEL first sends ``hello``.
"""

from __future__ import annotations

import sys

import pyomq  # type: ignore[import-not-found]


def main(kind: str, mode: str, endpoint: str, count: int) -> None:
    context = pyomq.Context()
    sock = context.socket(getattr(pyomq, kind))
    sock.linger = 5000  # the last reply must leave before close()
    sock.rcvtimeo = 10_000
    if mode == "bind":
        sock.bind(endpoint)
        print(sock.last_endpoint if isinstance(sock.last_endpoint, str)
              else sock.last_endpoint.decode(), flush=True)  # fmt: skip
    else:
        sock.connect(endpoint)
        sock.send(b"hello")
    for _ in range(count):
        if kind == "PEER":
            # pyomq's Frame.routing_id stays 0 on PEER; recv_from names the sender.
            identity, frames = sock.recv_from()
            sock.send_to(identity, [b"echo:" + bytes(frames[0])])
        else:
            sock.send(b"echo:" + sock.recv())
    print("done", flush=True)
    sock.close()
    context.term()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
