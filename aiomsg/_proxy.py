"""proxy(): the classic ZeroMQ devices (queue, forwarder, streamer) with await,
steerable as libzmq's ``zmq_proxy_steerable``."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import astuple, dataclass

from aiomsg._socket import Socket
from aiomsg.errors import NotSupported

__all__ = ["Proxy", "ProxyStatistics", "proxy"]

logger = logging.getLogger("aiomsg")


@dataclass(frozen=True, slots=True)
class ProxyStatistics:
    """What a proxy moved, per side: messages and bytes in and out, in the
    order of libzmq's STATISTICS reply (``proxy.cpp``). As libzmq 4.3.5
    counts them, each frame of a multipart message counts as a message."""

    frontend_msgs_in: int = 0
    frontend_bytes_in: int = 0
    frontend_msgs_out: int = 0
    frontend_bytes_out: int = 0
    backend_msgs_in: int = 0
    backend_bytes_in: int = 0
    backend_msgs_out: int = 0
    backend_bytes_out: int = 0

    def frames(self) -> list[bytes]:
        """The eight uint64 frames libzmq replies with, in host byte order."""
        return [value.to_bytes(8, sys.byteorder) for value in astuple(self)]


class _Pump:
    """One direction of a proxy: its task, and whether it is between messages
    (so a pause may cancel it without losing one)."""

    __slots__ = ("counts_in", "counts_out", "destination", "idle", "source", "task")

    def __init__(
        self, source: Socket, destination: Socket, counts_in: list[int], counts_out: list[int]
    ) -> None:
        self.source, self.destination = source, destination
        self.counts_in, self.counts_out = counts_in, counts_out
        self.task: asyncio.Task[None] | None = None
        self.idle = True


class Proxy:
    """A proxy you can steer: :meth:`pause`, :meth:`resume`, :meth:`terminate`
    and :meth:`statistics`, from Python or, as libzmq's, by sending
    ``PAUSE``, ``RESUME``, ``TERMINATE`` or ``STATISTICS`` to a *control*
    socket (STATISTICS is answered on it with eight uint64 frames)::

        proxy = aiomsg.Proxy(frontend, backend, control=control)
        task = asyncio.create_task(proxy.run())
        proxy.pause()

    See :func:`proxy` for what flows where.
    """

    def __init__(
        self,
        frontend: Socket,
        backend: Socket,
        capture: Socket | None = None,
        control: Socket | None = None,
    ) -> None:
        self.frontend, self.backend = frontend, backend
        self.capture, self.control = capture, control
        # [msgs in, bytes in, msgs out, bytes out] per side.
        self._front = [0, 0, 0, 0]
        self._back = [0, 0, 0, 0]
        front, back = frontend.socket_type, backend.socket_type
        if not (front.can_recv and back.can_send):
            # Messages flow from the frontend to the backend (and back where
            # both can): with only the way back, the proxy would do nothing.
            swapped = back.can_recv and front.can_send
            fix = f"; did you mean proxy({back.name}, {front.name})?" if swapped else ""
            raise NotSupported(
                f"proxy({front.name}, {back.name}): messages flow from the frontend to the "
                f"backend, so the frontend must receive and the backend send{fix}"
            )
        self._pumps = [_Pump(frontend, backend, self._front, self._back)]
        if back.can_recv and front.can_send:
            self._pumps.append(_Pump(backend, frontend, self._back, self._front))
        self._paused = False
        self._done: asyncio.Future[None] | None = None

    @property
    def paused(self) -> bool:
        """Whether :meth:`pause` holds the proxy."""
        return self._paused

    async def run(self) -> None:
        """Move messages until :meth:`terminate` (or ``TERMINATE``), a socket
        closes, or the call is cancelled.

        Raises:
            Closed: one of the sockets was closed; the proxy stops.

        Cancelling stops the proxy; see :func:`proxy` for the message that
        may be in flight then.
        """
        loop = asyncio.get_running_loop()
        self._done = done = loop.create_future()
        tasks: list[asyncio.Task[None]] = []
        if self.control is not None:
            tasks.append(loop.create_task(self._steer(self.control)))
            tasks[-1].add_done_callback(self._ended)
        if not self._paused:
            self._start_pumps()
        try:
            await done
        finally:
            tasks += [pump.task for pump in self._pumps if pump.task is not None]
            for pump in self._pumps:
                pump.task = None
            for task in tasks:
                task.cancel()
            # Wait for them without swallowing a cancellation of run() itself.
            if tasks:
                await asyncio.wait(tasks)
            self._done = None

    def pause(self) -> None:
        """Stop taking messages (they wait in the sockets' queues); a message
        already taken is still delivered. Idempotent."""
        self._paused = True
        for pump in self._pumps:
            if pump.task is not None and pump.idle:
                # Waiting in recv, which loses nothing when cancelled.
                pump.task.cancel()
                pump.task = None

    def resume(self) -> None:
        """Move messages again after :meth:`pause`. Idempotent."""
        self._paused = False
        if self._done is not None:
            self._start_pumps()

    def terminate(self) -> None:
        """End :meth:`run` (it returns normally). Idempotent."""
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    def statistics(self) -> ProxyStatistics:
        """What the proxy has moved so far."""
        return ProxyStatistics(*self._front, *self._back)

    def _start_pumps(self) -> None:
        loop = asyncio.get_running_loop()
        for pump in self._pumps:
            if pump.task is None or pump.task.done():
                pump.task = loop.create_task(self._pump(pump))
                pump.task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A pump or the control reader stopped: a failure (Closed) ends run()."""
        done = self._done
        if done is None or done.done() or task.cancelled():
            return
        error = task.exception()
        if error is not None:
            done.set_exception(error)

    async def _pump(self, pump: _Pump) -> None:
        source, destination, capture = pump.source, pump.destination, self.capture
        counts_in, counts_out = pump.counts_in, pump.counts_out
        while not self._paused:
            pump.idle = True
            message = await source.recv_multipart()
            pump.idle = False
            frames, size = len(message), sum(map(len, message))
            if capture is not None:
                await capture.send_multipart(message)
            await destination.send_multipart(message)
            counts_in[0] += frames
            counts_in[1] += size
            counts_out[2] += frames
            counts_out[3] += size
        pump.task = None

    async def _steer(self, control: Socket) -> None:
        """libzmq's control protocol: one command per message (its last
        frame; any frames before it are an envelope, kept for the reply)."""
        while True:
            message = await control.recv_multipart()
            command = message[-1]
            if command == b"PAUSE":
                self.pause()
            elif command == b"RESUME":
                self.resume()
            elif command == b"TERMINATE":
                self.terminate()
            elif command == b"STATISTICS":
                await control.send_multipart([*message[:-1], *self.statistics().frames()])
            else:
                # libzmq asserts on an unknown command; a proxy must not die of one.
                logger.warning("proxy: unknown control command %r ignored", command[:32])


async def proxy(
    frontend: Socket,
    backend: Socket,
    capture: Socket | None = None,
    control: Socket | None = None,
) -> None:
    """Move messages from *frontend* to *backend* and back, until cancelled.

    Like ``zmq.proxy``: ROUTER/DEALER makes a request-reply queue, XSUB/XPUB
    a pub-sub forwarder (subscriptions flow back upstream), PULL/PUSH a
    streamer. Messages flow from the frontend to the backend, and back too
    when the backend can receive and the frontend send. If *capture* is
    given, every message is also sent to it. With a *control* socket it is
    ``zmq.proxy_steerable``: ``PAUSE``, ``RESUME``, ``TERMINATE`` (the call
    then returns) and ``STATISTICS``; use :class:`Proxy` to steer it from
    Python.

    Raises:
        Closed: one of the sockets was closed; the proxy stops.
        NotSupported: the frontend cannot receive or the backend cannot send
            (the sides are swapped, or cannot pass messages at all).

    Cancelling stops the proxy. A message is taken from one side only when
    it arrives; if the other side cannot take it at once, the proxy waits,
    and a cancellation during that wait drops that one message (libzmq's
    proxy drops it likewise when its context is terminated).
    """
    await Proxy(frontend, backend, capture, control).run()
