"""What ``Socket.stats()`` returns: counters per socket and per peer.

The names follow nats-py's ``Client.stats`` (``in_msgs``, ``out_msgs``,
``in_bytes``, ``out_bytes``, ``reconnects``) and libzmq's monitor events for
the rest. Message and byte counts include peers that have since left.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PeerStats", "SocketStats"]


@dataclass(frozen=True, slots=True)
class PeerStats:
    """One peer (one pipe: a connect, or an accepted connection).

    Attributes:
        endpoint: the socket endpoint it came from (bound or connected).
        peer_address: the remote address, when connected.
        connected: whether a connection carries it now.
        in_msgs: messages received from it.
        out_msgs: messages sent (or queued) to it.
        in_bytes: bytes read from its connections (0 for inproc).
        out_bytes: bytes of the messages written to its connections: their
            frames' contents, not the framing or commands on tcp, ipc and
            ws; pgm counts its packets (0 for inproc).
        queued_in: messages received and not yet taken by the application.
        queued_out: messages waiting for it to accept them (its send queue).
    """

    endpoint: str
    peer_address: str
    connected: bool
    in_msgs: int
    out_msgs: int
    in_bytes: int
    out_bytes: int
    queued_in: int
    queued_out: int


@dataclass(frozen=True, slots=True)
class SocketStats:
    """A socket's counters since it was made.

    Attributes:
        in_msgs, out_msgs, in_bytes, out_bytes: totals over every peer.
        dropped: messages dropped by the socket type's own rules: a
            subscriber or ROUTER peer at its high-water mark, a REP reply
            to a requester that left.
        refused_subscriptions: subscriptions past ``max_subscriptions`` or
            ``max_subscription_bytes`` (PUB, XPUB).
        accepted: connections accepted on the socket's bindings.
        reconnects: connections made again for a ``connect`` after a loss.
        connect_retries: connection attempts that failed (to be retried).
        handshake_failures: peers that failed their handshake.
        protocol_errors: peers dropped for breaking the protocol later.
        refused_peers: peers turned away (incompatible, duplicate identity,
            a second PAIR peer...).
        heartbeat_timeouts: peers dropped for silence.
        data_losses: multicast losses that could not be repaired (``DATA_LOST``
            events; each dropped the message in progress).
        queued_in, queued_out: messages in the receive and send queues now.
        peers: the peers the socket has now.
    """

    in_msgs: int
    out_msgs: int
    in_bytes: int
    out_bytes: int
    dropped: int
    refused_subscriptions: int
    accepted: int
    reconnects: int
    connect_retries: int
    handshake_failures: int
    protocol_errors: int
    refused_peers: int
    heartbeat_timeouts: int
    data_losses: int
    queued_in: int
    queued_out: int
    peers: tuple[PeerStats, ...]
