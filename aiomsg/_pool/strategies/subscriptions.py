"""The subscription path of publish/subscribe (RFC 29), as strategies.

Downstream, a SUB or XSUB keeps its own table (:class:`Subscriptions`) and
sends every change to every publisher it is linked to. Upstream, a PUB or
XPUB records each peer's subscriptions in its :class:`Distribute`
(:class:`TrackSubscribers`), which then sends a message only to the peers
whose topics prefix its first frame. A subscription travels as a
SUBSCRIBE/CANCEL command or as a ``\\x01topic``/``\\x00topic`` message
(docs/wire/zmtp.md#subscription-forms); both reach these strategies as the
message form.
"""

from __future__ import annotations

from aiomsg._pool.pipe import Message, Pipe
from aiomsg._pool.strategies.base import Filter, Sender
from aiomsg._pool.strategies.distribute import Distribute

__all__ = [
    "ForwardSubscriptions",
    "SubscribeUpstream",
    "Subscriptions",
    "TrackSubscribers",
    "parse_subscription",
]

_SUBSCRIBE, _CANCEL = 1, 0


def parse_subscription(message: Message) -> tuple[bytes, bool] | None:
    """``(topic, subscribe)`` if *message* is a subscribe/cancel, else None."""
    first = message[0]
    if first and first[0] in (_SUBSCRIBE, _CANCEL):
        return first[1:], first[0] == _SUBSCRIBE
    return None


class Subscriptions(Filter):
    """A subscriber's own table: sent to every linked peer, replayed to new ones,
    and matched against each received message (SUB's local filter).

    Like libzmq, every subscribe is sent, but a cancel only when the last
    subscription of that topic goes.
    """

    __slots__ = ("_counts", "pipes", "topics")

    def __init__(self) -> None:
        self.pipes: list[Pipe] = []
        self._counts: dict[bytes, int] = {}
        #: The subscribed topics, as a tuple for one ``bytes.startswith`` call.
        self.topics: tuple[bytes, ...] = ()

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)

    def detach(self, pipe: Pipe) -> None:
        self.pipes.remove(pipe)

    def linked(self, pipe: Pipe) -> None:
        assert pipe.link is not None
        for topic in self._counts:
            pipe.link.send_subscription(topic, True)

    def change(self, topic: bytes, subscribe: bool) -> None:
        """Add or remove one subscription of *topic*, telling the peers."""
        count = self._counts.get(topic, 0)
        if subscribe:
            self._counts[topic] = count + 1
        elif count == 0:
            return
        elif count > 1:
            self._counts[topic] = count - 1
            return
        else:
            del self._counts[topic]
        self.topics = tuple(self._counts)
        for pipe in self.pipes:
            if pipe.link is not None:
                pipe.link.send_subscription(topic, subscribe)

    def filter(self, pipe: Pipe, message: Message) -> Message | None:
        return message if message[0].startswith(self.topics) else None


class SubscribeUpstream(Sender):
    """XSUB's send: ``\\x01topic``/``\\x00topic`` messages change its
    :class:`Subscriptions`; any other message goes to every publisher."""

    __slots__ = ("_everyone", "subscriptions")

    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions
        self._everyone = Distribute(match_all=True)

    def attach(self, pipe: Pipe) -> None:
        self._everyone.attach(pipe)
        self.subscriptions.attach(pipe)

    def detach(self, pipe: Pipe) -> None:
        self._everyone.detach(pipe)
        self.subscriptions.detach(pipe)

    def linked(self, pipe: Pipe) -> None:
        self.subscriptions.linked(pipe)

    def unlinked(self, pipe: Pipe) -> None:
        self._everyone.unlinked(pipe)

    def has_out(self) -> bool:
        return True  # subscribing and distributing never wait

    def send(self, message: Message) -> bool:
        subscription = parse_subscription(message)
        if subscription is None:
            return self._everyone.send(message)
        self.subscriptions.change(*subscription)
        return True


class TrackSubscribers(Filter):
    """PUB: each peer's subscribe/cancel is recorded in the :class:`Distribute`
    that sends; anything else a subscriber sends is dropped."""

    __slots__ = ("distribute",)

    def __init__(self, distribute: Distribute) -> None:
        self.distribute = distribute

    def filter(self, pipe: Pipe, message: Message) -> Message | None:
        subscription = parse_subscription(message)
        if subscription is not None:
            self.distribute.subscription(pipe, *subscription)
        return None


class ForwardSubscriptions(TrackSubscribers):
    """XPUB: records subscriptions as PUB does, and also passes them up as
    messages, with any other message its subscribers send.

    As in libzmq by default, a subscription is passed up only when the topic
    is new across all peers, and a cancel only when the last peer drops it
    (disconnects included).
    """

    __slots__ = ("_holders",)

    def __init__(self, distribute: Distribute) -> None:
        super().__init__(distribute)
        self._holders: dict[bytes, int] = {}

    def filter(self, pipe: Pipe, message: Message) -> Message | None:
        subscription = parse_subscription(message)
        if subscription is None:
            return message
        topic, subscribe = subscription
        if not self.distribute.subscription(pipe, topic, subscribe):
            return None
        return [message[0]] if self._count(topic, +1 if subscribe else -1) else None

    def unlinked(self, pipe: Pipe) -> None:
        for topic in self.distribute.topics_of(pipe):
            if self._count(topic, -1):
                pipe.queue([b"\x00" + topic])

    def _count(self, topic: bytes, change: int) -> bool:
        """Track how many peers hold *topic*; True when it appears or disappears."""
        holders = self._holders.get(topic, 0) + change
        if holders > 0:
            self._holders[topic] = holders
        else:
            self._holders.pop(topic, None)
        return (change > 0 and holders == 1) or (change < 0 and holders == 0)
