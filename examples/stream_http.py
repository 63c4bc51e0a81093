"""An HTTP server on a STREAM socket: raw TCP peers, no ZMTP.

A STREAM socket talks to any TCP program. Each message it receives is
``[routing_id, data]``: a chunk of what that peer sent, or ``b""`` when the
peer connects or goes. Sending ``[routing_id, data]`` writes to that peer;
``[routing_id, b""]`` closes its connection. Try it with curl:

    python examples/stream_http.py [--port 8080] [--count N]
    curl http://127.0.0.1:8080/hello

The server runs until interrupted (Ctrl-C), or stops after --count requests.
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


def response(request: bytes) -> bytes:
    """A small HTTP/1.0 response to one request (its first line is echoed)."""
    first_line = request.split(b"\r\n", 1)[0].decode("latin-1")
    body = f"Hello from aiomsg! You asked: {first_line}\n".encode()
    head = f"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def main(port: int, count: int | None) -> None:
    async with aiomsg.Context() as ctx:
        server = ctx.socket(aiomsg.STREAM)
        await server.bind(f"tcp://127.0.0.1:{port}")
        pending: dict[bytes, bytes] = {}  # what each peer sent so far
        answered = 0
        while count is None or answered < count:
            routing_id, data = await server.recv_multipart()
            if not data:  # a peer connected, or went: start afresh either way
                pending.pop(routing_id, None)
                continue
            request = pending.get(routing_id, b"") + data
            if b"\r\n\r\n" not in request:  # the headers may arrive in pieces
                pending[routing_id] = request
                continue
            pending.pop(routing_id, None)
            print("Request:", request.split(b"\r\n", 1)[0].decode("latin-1"))
            await server.send_multipart([routing_id, response(request)])
            await server.send_multipart([routing_id, b""])  # HTTP/1.0: close after the reply
            answered += 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--count", type=int, default=None)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.count))
