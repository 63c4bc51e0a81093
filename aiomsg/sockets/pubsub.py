"""PUB, SUB, XPUB and XSUB: publish/subscribe (RFC 29).

Publishers filter: each subscriber's topics are tracked per peer, and only
matching messages are sent. Subscribers filter again on receipt (SUB), as
libzmq does. Subscriptions travel as SUBSCRIBE/CANCEL commands to ZMTP 3.1
peers and as ``\\x01topic``/``\\x00topic`` frames to 3.0 peers; both forms
are accepted from anyone.
"""

from __future__ import annotations

from typing import Any

from aiomsg.constants import SocketType
from aiomsg.pipe import Message, Pipe
from aiomsg.socket import Socket
from aiomsg.strategies import Distribute, FairQueue

__all__ = ["Pub", "Sub", "XPub", "XSub"]

_SUBSCRIBE, _CANCEL = 1, 0


def _as_topic(topic: bytes | str) -> bytes:
    return topic.encode() if isinstance(topic, str) else bytes(topic)


def _parse_subscription(message: Message) -> tuple[bytes, bool] | None:
    """``(topic, subscribe)`` if *message* is a subscribe/cancel, else None."""
    first = message[0]
    if first and first[0] in (_SUBSCRIBE, _CANCEL):
        return first[1:], first[0] == _SUBSCRIBE
    return None


class Pub(Socket):
    """Sends each message to every subscriber whose topic prefixes its first frame.

    Never waits; a subscriber at its ``sndhwm`` misses messages (counted).
    Cannot receive.
    """

    socket_type = SocketType.PUB
    wants_subscriptions = True

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._distribute = Distribute()
        self._use(self._distribute, None)

    @property
    def dropped(self) -> int:
        """Messages not sent to some subscriber because it was at its HWM."""
        return self._distribute.dropped

    def _inbound_filter(self) -> Any:
        return self._on_upstream

    def _on_upstream(self, pipe: Pipe, message: Message) -> Message | None:
        subscription = _parse_subscription(message)
        if subscription is not None:
            self._distribute.subscription(pipe, *subscription)
        return None


class XPub(Pub):
    """A PUB that also receives: subscriptions as ``\\x01topic``/``\\x00topic``
    messages, and any other message its subscribers send upstream.

    As in libzmq by default, a subscription is passed up only when the topic
    is new across all peers, and a cancel only when the last peer drops it
    (disconnects included).
    """

    socket_type = SocketType.XPUB

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._holders: dict[bytes, int] = {}
        self._use(self._distribute, FairQueue())

    def _on_upstream(self, pipe: Pipe, message: Message) -> Message | None:
        subscription = _parse_subscription(message)
        if subscription is None:
            return message
        topic, subscribe = subscription
        if not self._distribute.subscription(pipe, topic, subscribe):
            return None
        return [message[0]] if self._count(topic, +1 if subscribe else -1) else None

    def _count(self, topic: bytes, change: int) -> bool:
        """Track how many peers hold *topic*; True when it appears or disappears."""
        holders = self._holders.get(topic, 0) + change
        if holders > 0:
            self._holders[topic] = holders
        else:
            self._holders.pop(topic, None)
        return (change > 0 and holders == 1) or (change < 0 and holders == 0)

    def _unlinked(self, pipe: Pipe) -> None:
        for topic in self._distribute.topics_of(pipe):
            if self._count(topic, -1):
                pipe.queue([b"\x00" + topic])


class _Subscriber(Socket):
    """What SUB and XSUB share: the local subscription table, sent to every peer.

    Like libzmq, every subscribe call is sent, but a cancel only when the
    last subscription of that topic is removed.
    """

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._subscriptions: dict[bytes, int] = {}
        self._topics: tuple[bytes, ...] = ()

    def subscribe(self, topic: bytes | str) -> None:
        """Receive messages whose first frame starts with *topic* (b"" = all)."""
        self._check_open()
        self._change(_as_topic(topic), subscribe=True)

    def unsubscribe(self, topic: bytes | str) -> None:
        """Undo one :meth:`subscribe` of *topic*."""
        self._check_open()
        self._change(_as_topic(topic), subscribe=False)

    def _change(self, topic: bytes, subscribe: bool) -> None:
        count = self._subscriptions.get(topic, 0)
        if subscribe:
            self._subscriptions[topic] = count + 1
        elif count == 0:
            return
        elif count > 1:
            self._subscriptions[topic] = count - 1
            return
        else:
            del self._subscriptions[topic]
        self._topics = tuple(self._subscriptions)
        for pipe in self._pipes:
            if pipe.link is not None:
                pipe.link.send_subscription(topic, subscribe)

    def _linked(self, pipe: Pipe) -> None:
        assert pipe.link is not None
        for topic in self._subscriptions:
            pipe.link.send_subscription(topic, True)


class Sub(_Subscriber):
    """Receives the messages of PUB peers that match its subscriptions.

    Subscribes to nothing at first: call :meth:`subscribe`. Cannot send.
    """

    socket_type = SocketType.SUB

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._use(None, FairQueue())

    def _inbound_filter(self) -> Any:
        return self._matches

    def _matches(self, pipe: Pipe, message: Message) -> Message | None:
        return message if message[0].startswith(self._topics) else None


class XSub(_Subscriber):
    """A SUB that subscribes by sending ``\\x01topic`` / ``\\x00topic`` messages
    (as well as with :meth:`subscribe`), and receives everything its
    publishers send it, unfiltered. Other messages it sends go to every peer.
    """

    socket_type = SocketType.XSUB

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._upstream = Distribute(match_all=True)
        self._use(self._upstream, FairQueue())
        self._send_message = self._send_upstream

    def _send_upstream(self, message: Message) -> bool:
        subscription = _parse_subscription(message)
        if subscription is None:
            return self._upstream.send(message)
        self._change(*subscription)
        return True
