"""The interface every transport implements."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from aiomsg.endpoint import Endpoint

if TYPE_CHECKING:
    from aiomsg.pipe import Pipe
    from aiomsg.socket import Socket

__all__ = ["Binding", "Connection", "Transport"]


class Binding(abc.ABC):
    """A socket listening at an endpoint; ``endpoint`` is the resolved text."""

    endpoint: str

    @abc.abstractmethod
    def stop_accepting(self) -> None:
        """Accept no new peers; those accepted here stay connected. Idempotent."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop accepting peers, and disconnect those accepted here (as zmq_unbind)."""


class Connection(abc.ABC):
    """A socket's outgoing connection to one endpoint, kept up in the background."""

    pipe: Pipe

    @abc.abstractmethod
    def close(self) -> None:
        """Stop connecting and drop the current link, if any."""


class Transport(abc.ABC):
    """Makes bindings and connections for one endpoint scheme."""

    @abc.abstractmethod
    async def bind(self, socket: Socket, endpoint: Endpoint) -> Binding:
        """Start accepting peers for *socket*.

        Raises:
            EndpointError: the address is malformed.
            AddressInUse: the address is taken.
        """

    @abc.abstractmethod
    def connect(self, socket: Socket, endpoint: Endpoint, pipe: Pipe) -> Connection:
        """Start connecting *pipe* to *endpoint* in the background.

        Raises:
            EndpointError: the address is malformed.
        """
