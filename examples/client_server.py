"""A CLIENT/SERVER service: one SERVER answers several CLIENTs by routing id.

Each client sends "N * M" questions; the server receives each with the
routing id of its sender (recv_from) and sends the answer to that id.

    python examples/client_server.py [--endpoint tcp://127.0.0.1:*] [--clients 3]
"""

from __future__ import annotations

import argparse
import asyncio

import aiomsg


async def serve(server: aiomsg.Socket, questions: int) -> None:
    for _ in range(questions):
        question, routing_id = await server.recv_from()
        left, _, right = question.decode().partition(" * ")
        await server.send(str(int(left) * int(right)).encode(), routing_id=routing_id)


async def ask(client: aiomsg.Socket, name: int) -> None:
    await client.send(f"{name} * 7".encode())
    print(f"client {name}: {name} * 7 = {(await client.recv()).decode()}")


async def main(endpoint: str, clients: int) -> None:
    async with aiomsg.Context() as ctx:
        server = ctx.socket(aiomsg.SERVER)
        bound = await server.bind(endpoint)
        sockets = [ctx.socket(aiomsg.CLIENT) for _ in range(clients)]
        for client in sockets:
            await client.connect(bound)
        async with asyncio.timeout(10):
            await asyncio.gather(
                serve(server, clients), *(ask(c, n) for n, c in enumerate(sockets, 1))
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:*")
    parser.add_argument("--clients", type=int, default=3)
    options = parser.parse_args()
    aiomsg.run(main(options.endpoint, options.clients))
