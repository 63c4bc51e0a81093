"""Strategies: small policies over a socket's pipes, composed into socket types.

A socket type picks a :class:`Sender` (where a message goes), a
:class:`Receiver` (which pipe the next message comes from) and optionally a
:class:`Filter` (what happens to each message a peer sends); see
docs/internals.md for the table.
"""

from aiomsg._pool.strategies.base import Filter, Receiver, Sender, Strategy
from aiomsg._pool.strategies.distribute import Distribute, NoDropDistribute
from aiomsg._pool.strategies.exclusive import Exclusive
from aiomsg._pool.strategies.fair_queue import FairQueue
from aiomsg._pool.strategies.groups import GroupDistribute, GroupQueue, JoinedGroups, TrackGroups
from aiomsg._pool.strategies.load_balance import LoadBalance
from aiomsg._pool.strategies.lockstep import ReplyLockstep, RequestLockstep
from aiomsg._pool.strategies.raw import RawRoute, StampRoutingId
from aiomsg._pool.strategies.route import PrefixRoutingId, RouteById, RouteToPeer
from aiomsg._pool.strategies.single_frame import SingleFrames
from aiomsg._pool.strategies.subscriptions import (
    ForwardSubscriptions,
    InvertedMatch,
    SubscribeUpstream,
    Subscriptions,
    TrackSubscribers,
)

__all__ = [
    "Distribute",
    "Exclusive",
    "FairQueue",
    "Filter",
    "ForwardSubscriptions",
    "GroupDistribute",
    "GroupQueue",
    "InvertedMatch",
    "JoinedGroups",
    "LoadBalance",
    "NoDropDistribute",
    "PrefixRoutingId",
    "RawRoute",
    "Receiver",
    "ReplyLockstep",
    "RequestLockstep",
    "RouteById",
    "RouteToPeer",
    "Sender",
    "SingleFrames",
    "StampRoutingId",
    "Strategy",
    "SubscribeUpstream",
    "Subscriptions",
    "TrackGroups",
    "TrackSubscribers",
]
