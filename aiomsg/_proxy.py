"""proxy(): the classic ZeroMQ devices (queue, forwarder, streamer) with await."""

from __future__ import annotations

import asyncio

from aiomsg._socket import Socket
from aiomsg.errors import NotSupported

__all__ = ["proxy"]


async def proxy(frontend: Socket, backend: Socket, capture: Socket | None = None) -> None:
    """Move messages from *frontend* to *backend* and back, until cancelled.

    Like ``zmq.proxy``: ROUTER/DEALER makes a request-reply queue, XSUB/XPUB
    a pub-sub forwarder (subscriptions flow back upstream), PULL/PUSH a
    streamer. Each direction runs only if its receiving side can receive.
    If *capture* is given, every message is also sent to it.

    Raises:
        Closed: one of the sockets was closed; the proxy stops.
        NotSupported: neither socket can receive what the other sends.

    Cancelling stops the proxy. A message is taken from one side only when
    it arrives; if the other side cannot take it at once, the proxy waits,
    and a cancellation during that wait drops that one message (libzmq's
    proxy drops it likewise when its context is terminated).
    """
    directions = [
        (source, destination)
        for source, destination in ((frontend, backend), (backend, frontend))
        if source.socket_type.can_recv and destination.socket_type.can_send
    ]
    if not directions:
        raise NotSupported(
            f"no message can flow between {frontend.socket_type.name} and "
            f"{backend.socket_type.name}: one side must receive what the other sends"
        )
    pumps = [asyncio.ensure_future(_pump(*pair, capture)) for pair in directions]
    try:
        done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # re-raise the first failure (Closed) as it is
    finally:
        for task in pumps:
            task.cancel()
        # Wait for the pumps without swallowing a cancellation of proxy() itself.
        await asyncio.wait(pumps)


async def _pump(source: Socket, destination: Socket, capture: Socket | None) -> None:
    while True:
        message = await source.recv_multipart()
        if capture is not None:
            await capture.send_multipart(message)
        await destination.send_multipart(message)
