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
    streamer. Messages flow from the frontend to the backend, and back too
    when the backend can receive and the frontend send. If *capture* is
    given, every message is also sent to it.

    Raises:
        Closed: one of the sockets was closed; the proxy stops.
        NotSupported: the frontend cannot receive or the backend cannot send
            (the sides are swapped, or cannot pass messages at all).

    Cancelling stops the proxy. A message is taken from one side only when
    it arrives; if the other side cannot take it at once, the proxy waits,
    and a cancellation during that wait drops that one message (libzmq's
    proxy drops it likewise when its context is terminated).
    """
    front, back = frontend.socket_type, backend.socket_type
    if not (front.can_recv and back.can_send):
        # Messages flow from the frontend to the backend (and back where both
        # can): with only the way back, the proxy would run doing nothing.
        swapped = back.can_recv and front.can_send
        fix = f"; did you mean proxy({back.name}, {front.name})?" if swapped else ""
        raise NotSupported(
            f"proxy({front.name}, {back.name}): messages flow from the frontend to the "
            f"backend, so the frontend must receive and the backend send{fix}"
        )
    directions = [(frontend, backend)]
    if back.can_recv and front.can_send:
        directions.append((backend, frontend))
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
