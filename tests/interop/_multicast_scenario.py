"""Run inside a private network namespace by test_interop_udp.py (not a test module).

One RADIO sends to udp://lo;239.192.0.1:PORT and two DISHes bound there
receive; the RADIO or the DISHes are zeromq.js (libzmq) by *direction*.
Prints a JSON line: what each DISH received first in the joined group.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiomsg
from interop._node import NodePeer

GROUP_ENDPOINT = "udp://lo;239.192.0.1:{port}"
PORT = 45654  # inside the namespace nothing else uses it
TIMEOUT = 10.0


async def first_in_group(receive: object, send: object) -> tuple[bytes, bytes]:
    task = asyncio.ensure_future(receive())  # type: ignore[operator]
    while True:
        await send()  # type: ignore[operator]
        done, _ = await asyncio.wait({task}, timeout=0.05)
        if done:
            return task.result()  # type: ignore[no-any-return]


async def main(direction: str) -> None:
    endpoint = GROUP_ENDPOINT.format(port=PORT)
    peer = await NodePeer.start()
    received = []
    async with aiomsg.Context() as ctx:
        async with asyncio.timeout(TIMEOUT):
            if direction == "zjs-radio":
                dishes = [ctx.socket(aiomsg.DISH, linger=0) for _ in range(2)]
                for dish in dishes:
                    await dish.join("weather")
                    await dish.bind(endpoint)
                radio = await peer.socket("Radio")
                await radio.connect(endpoint)

                async def send() -> None:
                    await radio.send(b"no", group=b"news")
                    await radio.send(b"sunny", group=b"weather")

                for dish in dishes:
                    received.append(await first_in_group(dish.recv_with_group, send))
            else:
                zdishes = [await peer.socket("Dish") for _ in range(2)]
                for zdish in zdishes:
                    await zdish.join(b"weather")
                    await zdish.bind(endpoint)
                ours = ctx.socket(aiomsg.RADIO, linger=0)
                await ours.connect(endpoint)

                async def send() -> None:
                    await ours.send(b"no", group="news")
                    await ours.send(b"sunny", group="weather")

                for zdish in zdishes:
                    received.append(await first_in_group(zdish.recv, send))  # type: ignore[arg-type]
    await peer.close()
    print(json.dumps({"received": [[d.decode(), g.decode()] for d, g in received]}))


if __name__ == "__main__":
    if sys.argv[2] == "uvloop":
        import uvloop

        uvloop.run(main(sys.argv[1]))
    else:
        asyncio.run(main(sys.argv[1]))
