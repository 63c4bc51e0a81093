"""The subscription path of publish/subscribe (RFC 29), as strategies.

Downstream, a SUB or XSUB keeps its own table (:class:`Subscriptions`) and
sends every change to every publisher it is linked to. Upstream, a PUB or
XPUB records each peer's subscriptions in its :class:`Distribute`
(:class:`TrackSubscribers`), which then sends a message only to the peers
whose topics prefix its first frame. A subscription travels as a
SUBSCRIBE/CANCEL command or as a ``\\x01topic``/``\\x00topic`` message
(docs/wire/zmtp.md#subscription-forms); both reach these strategies as the
message form.

The XPUB options (``xpub_verbose``, ``xpub_verboser``, ``xpub_manual``,
``xpub_welcome_msg``, ``only_first_subscribe``) are read from the socket's
option mapping when a subscription or a peer arrives, as libzmq reads them
(``xpub.cpp``): that path is not the hot one, and the options may change at
any time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiomsg._pool.pipe import Delivered, Message, Pipe, first_frame, message_frames
from aiomsg._pool.strategies.base import Filter, Sender
from aiomsg._pool.strategies.distribute import Distribute
from aiomsg.errors import InvalidState
from aiomsg.options import DEFAULTS
from aiomsg.transports.interface import ALL_GROUPS

__all__ = [
    "ForwardSubscriptions",
    "InvertedMatch",
    "SubscribeUpstream",
    "Subscriptions",
    "TrackSubscribers",
    "parse_subscription",
    "split_subscriptions",
]

_SUBSCRIBE, _CANCEL = 1, 0


def parse_subscription(message: Delivered) -> tuple[bytes, bool] | None:
    """``(topic, subscribe)`` if *message* (its frames, or the bytes of its
    one frame) is a subscribe/cancel, else None."""
    first = first_frame(message)
    if first and first[0] in (_SUBSCRIBE, _CANCEL):
        return first[1:], first[0] == _SUBSCRIBE
    return None


def split_subscriptions(
    message: Message, only_first: bool
) -> tuple[list[tuple[bytes, bool]], Message]:
    """The subscribes/cancels in a message sent upstream, and its other frames.

    libzmq reads every frame that starts ``01``/``00`` as one (``xpub.cpp``,
    ``xsub.cpp``); with *only_first* (``only_first_subscribe``) a message
    whose first frame is not one is all data, whatever its other frames hold.
    """
    first = parse_subscription(message)
    if len(message) == 1:
        return ([first], []) if first is not None else ([], message)
    if first is None and only_first:
        return [], message
    changes: list[tuple[bytes, bool]] = []
    data: Message = []
    for frame in message:
        change = parse_subscription(frame)
        if change is None:
            data.append(frame)
        else:
            changes.append(change)
    return changes, data


class Subscriptions(Filter):
    """A subscriber's own table: sent to every linked peer, replayed to new ones,
    and matched against each received message (SUB's local filter).

    Like libzmq, every subscribe is sent, but a cancel only when the last
    subscription of that topic goes.
    """

    __slots__ = ("_counts", "everything", "pipes", "topics")

    def __init__(self) -> None:
        self.pipes: list[Pipe] = []
        self._counts: dict[bytes, int] = {}
        #: The subscribed topics, as a tuple for one ``bytes.startswith`` call.
        self.topics: tuple[bytes, ...] = ()
        #: Subscribed to the empty topic: every message matches.
        self.everything = False

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
        self.everything = b"" in self._counts
        for pipe in self.pipes:
            if pipe.link is not None:
                pipe.link.send_subscription(topic, subscribe)

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        first = message if type(message) is bytes else message[0]
        return message if first.startswith(self.topics) else None  # type: ignore[union-attr]

    def filter_many(self, pipe: Pipe, messages: Sequence[Delivered]) -> Sequence[Delivered] | None:
        # filter() for a whole read: no call per message (tests/sockets/test_hot_paths.py).
        if self.everything:
            # The usual SUB of a fan-out: no test per message (~200
            # instructions each, callgrind pubsub4); tests/sockets/test_fan_out.py
            # drives both this and the match below on one read.
            return messages
        topics = self.topics
        # A message's first frame: itself when queued as the bytes of one.
        return [
            message
            for message in messages
            if (message if type(message) is bytes else message[0]).startswith(topics)  # type: ignore[union-attr]
        ]


class InvertedMatch(Filter):
    """SUB with ``invert_matching``: the :class:`Subscriptions` as they are,
    but a message is kept when **no** topic prefixes its first frame."""

    __slots__ = ("subscriptions",)

    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions

    def attach(self, pipe: Pipe) -> None:
        self.subscriptions.attach(pipe)

    def detach(self, pipe: Pipe) -> None:
        self.subscriptions.detach(pipe)

    def linked(self, pipe: Pipe) -> None:
        self.subscriptions.linked(pipe)

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        first = message if type(message) is bytes else message[0]
        return None if first.startswith(self.subscriptions.topics) else message  # type: ignore[union-attr]

    def filter_many(self, pipe: Pipe, messages: Sequence[Delivered]) -> Sequence[Delivered] | None:
        topics = self.subscriptions.topics
        return [
            message
            for message in messages
            if not (message if type(message) is bytes else message[0]).startswith(topics)  # type: ignore[union-attr]
        ]


class SubscribeUpstream(Sender):
    """XSUB's send: ``\\x01topic``/``\\x00topic`` frames change its
    :class:`Subscriptions`; the other frames go to every publisher (see
    :func:`split_subscriptions` for ``only_first_subscribe``)."""

    __slots__ = ("_everyone", "_options", "subscriptions")

    def __init__(self, subscriptions: Subscriptions, options: Mapping[str, Any] = DEFAULTS) -> None:
        self.subscriptions = subscriptions
        self._options = options
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

    def flush(self) -> None:
        self._everyone.flush()

    def send(self, message: Message) -> bool:
        changes, data = split_subscriptions(message, self._options["only_first_subscribe"])
        if changes:
            # A subscription goes to the links at once: data messages
            # sent before it (a run held for the end of the tick) go first.
            self._everyone.flush()
            for topic, subscribe in changes:
                self.subscriptions.change(topic, subscribe)
        return self._everyone.send(data) if data else True


class TrackSubscribers(Filter):
    """PUB: each peer's subscribe/cancel is recorded in the :class:`Distribute`
    that sends; anything else a subscriber sends is dropped.

    With ``xpub_welcome_msg`` set, each new subscriber gets it first, as an
    ordinary message that no subscription filters here (a SUB still filters
    it; docs/wire/zmtp.md#xpub-options).
    """

    __slots__ = ("_options", "distribute")

    def __init__(self, distribute: Distribute, options: Mapping[str, Any] = DEFAULTS) -> None:
        self.distribute = distribute
        self._options = options

    def linked(self, pipe: Pipe) -> None:
        if ALL_GROUPS in pipe.peer_properties:
            # A multicast group filters on the receivers' side: it has every
            # topic, and no subscription is passed up, as libzmq's
            # subscribe_to_all (docs/wire/pgm.md#pgm-subscriptions).
            self.distribute.subscription(pipe, b"", True)
            return
        welcome = self._options["xpub_welcome_msg"]
        if welcome:
            pipe.send([welcome])

    def split(self, message: Message) -> tuple[list[tuple[bytes, bool]], Message]:
        return split_subscriptions(message, self._options["only_first_subscribe"])

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        for topic, subscribe in self.split(message_frames(message))[0]:
            self.distribute.subscription(pipe, topic, subscribe)
        return None


class ForwardSubscriptions(TrackSubscribers):
    """XPUB: records subscriptions as PUB does, and also passes them up as
    messages, with any other message its subscribers send.

    By default, as in libzmq, a subscription is passed up only when the
    topic is new across all peers, and a cancel only when the last peer
    drops it (disconnects included). ``xpub_verbose`` passes up every
    subscribe, ``xpub_verboser`` every cancel too. With ``xpub_manual`` the
    peers' requests are passed up and not applied: the application applies
    them with :meth:`manual` (the XPUB's ``subscribe``), and a peer that goes
    has a cancel passed up for each topic it asked for.
    """

    __slots__ = ("_holders", "_requested")

    def __init__(self, distribute: Distribute, options: Mapping[str, Any] = DEFAULTS) -> None:
        super().__init__(distribute, options)
        self._holders: dict[bytes, int] = {}
        self._requested: dict[Pipe, set[bytes]] = {}  # xpub_manual: what each peer asked

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        changes, data = self.split(message_frames(message))
        if not changes:
            return message  # as delivered
        options = self._options
        verboser = options["xpub_verboser"]
        verbose = verboser or options["xpub_verbose"]
        manual = options["xpub_manual"]
        for topic, subscribe in changes:
            if manual:
                requested = self._requested.setdefault(pipe, set())
                if subscribe:
                    requested.add(topic)
                else:
                    requested.discard(topic)
                passed_up = True
            else:
                changed = self.distribute.subscription(pipe, topic, subscribe)
                edge = changed and self._count(topic, +1 if subscribe else -1)
                passed_up = edge or (verbose if subscribe else verboser)
            if passed_up:
                pipe.queue([(b"\x01" if subscribe else b"\x00") + topic])
        return data or None

    def manual(self, pipe: Pipe | None, topic: bytes, subscribe: bool) -> None:
        """Apply a subscription of *pipe*, the peer whose message the
        application received last (libzmq's ZMQ_SUBSCRIBE on a manual XPUB).
        A peer that has gone, or none, changes nothing, as in libzmq.

        Raises:
            InvalidState: ``xpub_manual`` is not set.
        """
        if not self._options["xpub_manual"]:
            raise InvalidState("an XPUB subscribes for its peers only with xpub_manual set")
        if pipe is not None and pipe.link is not None:
            self.distribute.subscription(pipe, topic, subscribe)

    def unlinked(self, pipe: Pipe) -> None:
        if ALL_GROUPS in pipe.peer_properties:
            return  # its topic was never passed up (see linked)
        requested = self._requested.pop(pipe, None)
        if requested is not None or self._options["xpub_manual"]:
            # The table was the application's: report what the peer asked for.
            for topic in requested or ():
                pipe.queue([b"\x00" + topic])
            return
        verboser = self._options["xpub_verboser"]
        for topic in self.distribute.topics_of(pipe):
            if self._count(topic, -1) or verboser:
                pipe.queue([b"\x00" + topic])

    def _count(self, topic: bytes, change: int) -> bool:
        """Track how many peers hold *topic*; True when it appears or disappears."""
        holders = self._holders.get(topic, 0) + change
        if holders > 0:
            self._holders[topic] = holders
        else:
            self._holders.pop(topic, None)
        return (change > 0 and holders == 1) or (change < 0 and holders == 0)
