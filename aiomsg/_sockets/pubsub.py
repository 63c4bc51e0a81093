"""PUB, SUB, XPUB and XSUB: publish/subscribe (RFC 29).

Publishers filter: each subscriber's topics are tracked per peer, and only
matching messages are sent. Subscribers filter again on receipt (SUB), as
libzmq does. The subscription path is in
:mod:`aiomsg._pool.strategies.subscriptions`.
"""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import (
    Distribute,
    FairQueue,
    ForwardSubscriptions,
    InvertedMatch,
    NoDropDistribute,
    SubscribeUpstream,
    Subscriptions,
    TrackSubscribers,
)
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Pub", "Sub", "XPub", "XSub"]


def _as_topic(topic: bytes | str) -> bytes:
    if isinstance(topic, str):
        return topic.encode()
    try:
        # Any buffer; never bytes(int), which would subscribe to that many zero bytes.
        return memoryview(topic).tobytes()
    except TypeError:
        raise TypeError(f"a topic is str or bytes, not {type(topic).__name__}") from None


class Pub(Socket):
    """Sends each message to every subscriber whose topic prefixes its first frame.

    Never waits; a subscriber at its ``sndhwm`` misses messages (counted),
    unless ``xpub_nodrop`` is set: then a send waits for room at every
    subscriber it goes to. With ``invert_matching`` each message goes to the
    subscribers none of whose topics prefix it. Cannot receive.
    """

    __slots__ = ("_distribute",)

    socket_type = SocketType.PUB
    wants_subscriptions = True
    composed_from = frozenset({"invert_matching", "xpub_nodrop"})

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._compose()

    def _compose(self) -> None:
        kind = NoDropDistribute if self.xpub_nodrop else Distribute
        self._distribute = kind(
            invert=self.invert_matching,
            limits=lambda: (self.max_subscriptions, self.max_subscription_bytes),
        )
        self._use(self._distribute, None, TrackSubscribers(self._distribute, self._options))

    @property
    def dropped(self) -> int:
        """Messages not sent to some subscriber because it was at its HWM."""
        return self._distribute.dropped


class XPub(Pub):
    """A PUB that also receives: subscriptions as ``\\x01topic``/``\\x00topic``
    messages, and any other message its subscribers send upstream.

    As in libzmq by default, a subscription is passed up only when the topic
    is new across all peers, and a cancel only when the last peer drops it
    (disconnects included); ``xpub_verbose``, ``xpub_verboser`` and
    ``xpub_manual`` change that (docs/patterns/publish-subscribe.md).
    """

    __slots__ = ("_forward", "_receiver")

    socket_type = SocketType.XPUB

    def _compose(self) -> None:
        super()._compose()
        self._forward = ForwardSubscriptions(self._distribute, self._options)
        self._receiver = FairQueue()
        self._use(self._distribute, self._receiver, self._forward)

    def subscribe(self, topic: bytes | str) -> None:
        """With ``xpub_manual``: subscribe the peer whose message was received
        last to *topic* (libzmq's ``ZMQ_SUBSCRIBE`` on an XPUB). Does nothing
        if that peer has gone.

        Raises:
            InvalidState: ``xpub_manual`` is not set.
            Closed: the socket is closed.
        """
        self._check_open()
        self._forward.manual(self._receiver.last, _as_topic(topic), subscribe=True)

    def unsubscribe(self, topic: bytes | str) -> None:
        """With ``xpub_manual``: undo :meth:`subscribe` of *topic* for the peer
        whose message was received last.

        Raises:
            InvalidState: ``xpub_manual`` is not set.
            Closed: the socket is closed.
        """
        self._check_open()
        self._forward.manual(self._receiver.last, _as_topic(topic), subscribe=False)


class _Subscriber(Socket):
    """What SUB and XSUB share: :meth:`subscribe` and :meth:`unsubscribe`."""

    __slots__ = ("_subscriptions",)

    _subscriptions: Subscriptions

    def subscribe(self, topic: bytes | str) -> None:
        """Receive messages whose first frame starts with *topic* (b"" = all).

        Raises:
            TypeError: *topic* is neither str nor bytes-like (an int, say).
            Closed: the socket is closed.
        """
        self._check_open()
        self._subscriptions.change(_as_topic(topic), subscribe=True)

    def unsubscribe(self, topic: bytes | str) -> None:
        """Undo one :meth:`subscribe` of *topic*.

        Raises:
            Closed: the socket is closed.
        """
        self._check_open()
        self._subscriptions.change(_as_topic(topic), subscribe=False)


class Sub(_Subscriber):
    """Receives the messages of PUB peers that match its subscriptions.

    Subscribes to nothing at first: call :meth:`subscribe`. With
    ``invert_matching`` it receives the messages that match none of its
    subscriptions (its publishers must set it too). Cannot send.
    """

    __slots__ = ()

    socket_type = SocketType.SUB
    composed_from = frozenset({"invert_matching"})

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._subscriptions = Subscriptions()
        self._compose()

    def _compose(self) -> None:
        subscriptions = self._subscriptions
        match = InvertedMatch(subscriptions) if self.invert_matching else subscriptions
        self._use(None, FairQueue(), match)


class XSub(_Subscriber):
    """A SUB that subscribes by sending ``\\x01topic`` / ``\\x00topic`` messages
    (as well as with :meth:`subscribe`), and receives everything its
    publishers send it, unfiltered. Other messages it sends go to every peer.
    """

    __slots__ = ()

    socket_type = SocketType.XSUB

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._subscriptions = Subscriptions()
        self._use(SubscribeUpstream(self._subscriptions, self._options), FairQueue())
