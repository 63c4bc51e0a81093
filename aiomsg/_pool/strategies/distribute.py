"""Distribute: send to every subscribed pipe, dropping for full ones (libzmq ``dist_t``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

from aiomsg._pool.pipe import Message, Pipe
from aiomsg._pool.strategies.base import Sender
from aiomsg.transports.interface import encode_all, encode_once

__all__ = ["Distribute", "NoDropDistribute", "TopicIndex"]

logger = logging.getLogger("aiomsg")

#: A run (see :class:`_Run`) is written once it holds this many payload
#: bytes, without waiting for the end of the tick; a message this large is
#: never put in one. The same bound as a link's own coalescing
#: (``transports._peer``), so a run costs a link no more memory than the
#: messages sent one by one would.
RUN_LIMIT = 256 * 1024


class TopicIndex:
    """Which pipes subscribed to which topics, indexed by topic length.

    A message matches a subscription when the topic prefixes its first
    frame. Matching looks up ``first[:n]`` once for each distinct topic
    length ``n`` no longer than the frame: its cost grows with the number of
    distinct lengths, never with the number of subscriptions or subscribers
    (libzmq's ``mtrie_t`` answers the same question with a trie).
    """

    __slots__ = ("_by_length", "_lengths")

    def __init__(self) -> None:
        self._by_length: dict[int, dict[bytes, set[Pipe]]] = {}
        self._lengths: list[int] = []  # the keys of _by_length, ascending

    def add(self, topic: bytes, pipe: Pipe) -> None:
        topics = self._by_length.get(len(topic))
        if topics is None:
            topics = self._by_length[len(topic)] = {}
            self._lengths = sorted(self._by_length)
        topics.setdefault(topic, set()).add(pipe)

    def remove(self, topic: bytes, pipe: Pipe) -> None:
        topics = self._by_length[len(topic)]
        pipes = topics[topic]
        pipes.discard(pipe)
        if not pipes:
            del topics[topic]
            if not topics:
                del self._by_length[len(topic)]
                self._lengths = sorted(self._by_length)

    def everything(self) -> Collection[Pipe] | None:
        """The pipes every message matches whatever its first frame: those
        subscribed to the empty topic, when it is the only topic; else None."""
        return self._by_length[0][b""] if self._lengths == [0] else None

    def match(self, first: bytes) -> Collection[Pipe]:
        """The pipes subscribed to a prefix of *first* (each once)."""
        found: Collection[Pipe] = ()
        size = len(first)
        by_length = self._by_length
        for length in self._lengths:
            if length > size:
                break
            pipes = by_length[length].get(first[:length])
            if pipes:
                # One matching length (the usual case) costs no new set.
                found = pipes if not found else {*found, *pipes}
        return found


def _nothing() -> None:
    return None


class _Run:
    """A tick's messages bound for one set of subscribers (*pipes*), and
    their payload *size*. When the run is written they are ZMTP-encoded
    once (``encode_all``), joined once, and the same ``bytes`` handed to
    each subscriber's link (``send_encoded``). A subscriber whose link cannot
    take it then (paused or lost during the tick) gets the messages through
    its pipe one by one, queued up to ``sndhwm`` or dropped, as each would
    have been.
    """

    __slots__ = ("messages", "pipes", "size")

    def __init__(self, pipes: Collection[Pipe], message: Message, size: int) -> None:
        self.pipes = pipes
        self.messages = [message]
        self.size = size


class _Subscriber:
    """One peer's subscriptions: the topics, their total size, and whether
    the peer was told off for passing a limit (logged once)."""

    __slots__ = ("size", "topics", "warned")

    def __init__(self) -> None:
        self.topics: set[bytes] = set()
        self.size = 0
        self.warned = False


class Distribute(Sender):
    """Every message goes to each pipe subscribed to a prefix of frame 0.

    Never waits: a pipe at its high-water mark misses the message, and the
    drop is counted in :attr:`dropped`. With ``match_all`` (XSUB upstream),
    every pipe gets every message; with ``invert`` (``invert_matching``),
    each message goes to the pipes with no subscription prefixing frame 0.
    Which of the three it is, is fixed when the strategy is made: ``send``
    asks one bound method for its targets, with no per-message test of the
    mode; and none at all while every message goes to the same pipes
    (everyone subscribed to the empty topic alone, or ``match_all``).

    Messages in a row for the same subscribers (two or more, each with a
    link that takes plain ZMTP frames, writable, with nothing queued) are
    gathered in a :class:`_Run` until the end of the tick and written to all
    of them as one ``bytes``: a subscriber costs nothing per message, as in
    a hand-written fan-out (docs/internals.md#fan-out). Anything that changes
    who gets what (a subscription, a pipe joining or leaving, a message for
    other subscribers) writes the open run first, so each subscriber's
    messages keep their order; :meth:`flush` writes it on demand.

    Each peer's subscriptions are a set, as libzmq keeps them
    (docs/wire/zmtp.md#subscription-set): a second SUBSCRIBE of a topic adds
    nothing and one CANCEL removes it. What one peer can make us hold is
    bounded by *limits*, a callable returning ``(max topics, max bytes)``
    per peer (-1: no limit); subscriptions past either bound are dropped,
    counted in :attr:`refused`, and logged once per peer.
    """

    __slots__ = (
        "_changed",
        "_everything",
        "_index",
        "_last",
        "_limits",
        "_peers",
        "_run",
        "_tick",
        "dropped",
        "pipes",
        "refused",
        "targets",
    )

    def __init__(
        self,
        *,
        match_all: bool = False,
        invert: bool = False,
        limits: Callable[[], tuple[int, int]] = lambda: (-1, -1),
    ) -> None:
        self.pipes: list[Pipe] = []
        self.dropped = 0
        self.refused = 0
        self._limits = limits
        self._index = TopicIndex()
        self._peers: dict[Pipe, _Subscriber] = {}
        #: The pipes a message whose first frame is the argument goes to.
        self.targets: Callable[[bytes], Collection[Pipe]] = (
            self._everyone if match_all else self._unmatched if invert else self._index.match
        )
        #: What targets() returns for any message, when that does not
        #: depend on it (everyone subscribed to everything, match_all):
        #: send() then skips the call. Kept by _retarget().
        self._everything: Collection[Pipe] | None = self.pipes if match_all else None
        #: Told when a subscription arrives (the pool's readiness waits).
        self._changed: Callable[[], None] = _nothing
        #: The open run, if any; the targets of the last message sent
        #: without one (a second message for them opens a run); whether the
        #: end-of-tick write is scheduled.
        self._run: _Run | None = None
        self._last: Collection[Pipe] | None = None
        self._tick = False

    def _everyone(self, first: bytes) -> Collection[Pipe]:
        return self.pipes

    def _unmatched(self, first: bytes) -> Collection[Pipe]:
        matched = self._index.match(first)
        return [pipe for pipe in self.pipes if pipe not in matched]

    def watch(self, changed: Callable[[], None]) -> None:
        self._changed = changed

    def subscribers(self, topic: bytes) -> int:
        """How many peers a message whose first frame is *topic* would reach."""
        return len(self.targets(topic))

    def attach(self, pipe: Pipe) -> None:
        self.flush()
        self.pipes.append(pipe)
        self._peers[pipe] = _Subscriber()

    def detach(self, pipe: Pipe) -> None:
        self.flush()
        self.pipes.remove(pipe)
        self._forget(pipe)
        del self._peers[pipe]

    def unlinked(self, pipe: Pipe) -> None:
        # A peer that comes back subscribes again.
        self.flush()
        self._forget(pipe)

    def _forget(self, pipe: Pipe) -> None:
        peer = self._peers[pipe]
        for topic in peer.topics:
            self._index.remove(topic, pipe)
        peer.topics.clear()
        peer.size = 0
        self._retarget()

    def _retarget(self) -> None:
        """The index changed: what every message matches may have too."""
        if self.targets == self._index.match:
            self._everything = self._index.everything()

    def topics_of(self, pipe: Pipe) -> frozenset[bytes]:
        peer = self._peers.get(pipe)
        return frozenset(peer.topics) if peer is not None else frozenset()

    def subscription(self, pipe: Pipe, topic: bytes, subscribe: bool) -> bool:
        """Record a peer's subscribe or cancel; True if it changed its set.

        A pipe that has left changes nothing (an XPUB in manual mode may
        name one).
        """
        peer = self._peers.get(pipe)
        if peer is None:
            return False
        if subscribe == (topic in peer.topics):
            return False
        # The index's sets change in place: what the open run was gathered
        # for goes out first.
        self.flush()
        if not subscribe:
            peer.topics.discard(topic)
            peer.size -= len(topic)
            self._index.remove(topic, pipe)
            self._retarget()
            return True
        max_topics, max_bytes = self._limits()
        if 0 <= max_topics <= len(peer.topics) or 0 <= max_bytes < peer.size + len(topic):
            self.refused += 1
            if not peer.warned:
                peer.warned = True
                logger.warning(
                    "%s %s: subscription limit reached (%d topics or %d bytes); "
                    "further subscriptions from this peer are dropped",
                    pipe.endpoint,
                    pipe.peer_address,
                    max_topics,
                    max_bytes,
                )
            return False
        peer.topics.add(topic)
        peer.size += len(topic)
        self._index.add(topic, pipe)
        self._retarget()
        self._changed()
        return True

    def has_out(self) -> bool:
        return True  # never waits: a full pipe misses the message

    def send(self, message: Message) -> bool:
        targets = self._everything
        if targets is None:
            targets = self.targets(message[0])
        run = self._run
        if run is not None:
            if run.pipes is targets:
                # No link is checked per message: one paused or lost since
                # the run opened is served when the run is written.
                length = len(message[0]) if len(message) == 1 else sum(map(len, message))
                if length < RUN_LIMIT:
                    run.messages.append(message)
                    run.size += length
                    if run.size >= RUN_LIMIT:
                        self._write_run(False)
                    return True
            self._write_run(False)
        elif targets is self._last:
            if self._open_run(targets, message):
                return True
            self._last = None  # so a pipe that cannot be in a run costs a try every other message
        else:
            # A second message for the same two or more pipes opens a run.
            self._last = targets if len(targets) > 1 else None
        shared = False
        wire: list[bytes] | None = None
        size = 0
        for pipe in targets:
            # Pipe.send, inlined for a pipe whose link takes the message now
            # (a fan-out pays this once per subscriber; one Python call
            # fewer each: docs/internals.md). tests/sockets/test_hot_paths.py
            # drives both this copy and Pipe.send.
            link = pipe.link
            if link is not None and not pipe.backlog:
                send_encoded = pipe.send_encoded
                if send_encoded is not None:
                    # A link writing plain ZMTP frames: the message is
                    # encoded once, for the first such link, and every other
                    # gets the same byte strings.
                    if wire is None:
                        wire, size = encode_once(message)
                    if send_encoded(wire, size, False):
                        pipe.out_msgs += 1
                        continue
                else:
                    # Each receiver gets a list of its own (inproc hands
                    # lists over by reference, and an application may change
                    # its copy); the frames themselves are shared, never copied.
                    copy = message.copy() if shared else message
                    shared = True
                    if link.try_send(copy):
                        pipe.out_msgs += 1
                        continue
            copy = message.copy() if shared else message
            shared = True
            if not pipe.direct_send(copy):
                self.dropped += 1
        return True

    def flush(self) -> None:
        """Write the open run, if any, to its subscribers' links now (they
        may still coalesce it with their own output until the end of the
        tick). The socket has the pool call this before it closes,
        disconnects or unbinds, so a run goes out with what is queued."""
        if self._run is not None:
            self._write_run(False)
        self._last = None

    def _open_run(self, targets: Collection[Pipe], message: Message) -> bool:
        """Start a run with *message* for *targets* (two or more: ``send``
        remembers no others), if a run can serve them: each linked,
        writable, with nothing queued and a link taking plain ZMTP frames;
        and a running loop to end the tick."""
        for pipe in targets:
            link = pipe.link
            if link is None or pipe.backlog or pipe.send_encoded is None or not link.writable:
                return False
        size = sum(map(len, message))
        if size >= RUN_LIMIT:
            return False
        if not self._tick:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return False  # a send from outside the loop: no tick to end
            loop.call_soon(self._end_tick)
            self._tick = True
        self._run = _Run(targets, message, size)
        return True

    def _end_tick(self) -> None:
        self._tick = False
        if self._run is not None:
            self._write_run(True)

    def _write_run(self, now: bool) -> None:
        """Hand the open run to each of its subscribers: one joined ``bytes``
        to every link that still takes it, written at once when *now* (the
        end of the tick); the messages one by one to a pipe whose link does
        not (paused or lost since the run opened), as :meth:`send` would."""
        run = self._run
        assert run is not None
        self._run = None
        data = [b"".join(encode_all(run.messages))]
        size, count = run.size, len(run.messages)
        # A tuple: a link's write cannot change who subscribes (its losses
        # arrive as callbacks), but the loop must not depend on that.
        for pipe in tuple(run.pipes):
            send_encoded = pipe.send_encoded
            if (
                pipe.link is not None
                and not pipe.backlog
                and send_encoded is not None
                and send_encoded(data, size, now)
            ):
                pipe.out_msgs += count
                continue
            for message in run.messages:
                if not pipe.direct_send(message.copy()):
                    self.dropped += 1


class NoDropDistribute(Distribute):
    """Distribute that never drops (``xpub_nodrop``): while any target is at
    its high-water mark the message waits for all of them (or the send raises
    :class:`~aiomsg.Again` with NOBLOCK), as libzmq's ``dist_t::check_hwm``."""

    __slots__ = ()

    def has_out(self) -> bool:
        # Which peers a message goes to depends on it: ready when none is full.
        return not any(pipe.full for pipe in self.pipes)

    def send(self, message: Message) -> bool:
        for pipe in self.targets(message[0]):
            if pipe.full:
                return False
        return Distribute.send(self, message)

    def _open_run(self, targets: Collection[Pipe], message: Message) -> bool:
        # A run's messages are checked against each pipe's room only when
        # the run is written, and one that has none then drops them: never
        # here, where every message waits until all its pipes have room.
        return False
