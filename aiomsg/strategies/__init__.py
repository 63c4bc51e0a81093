"""Strategies: small policies over a socket's pipes, composed into socket types."""

from aiomsg.strategies.base import Receiver, Sender, Strategy
from aiomsg.strategies.distribute import Distribute
from aiomsg.strategies.exclusive import Exclusive
from aiomsg.strategies.fair_queue import FairQueue
from aiomsg.strategies.load_balance import LoadBalance
from aiomsg.strategies.route import RouteById

__all__ = [
    "Distribute",
    "Exclusive",
    "FairQueue",
    "LoadBalance",
    "Receiver",
    "RouteById",
    "Sender",
    "Strategy",
]
