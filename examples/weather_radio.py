"""Weather over RADIO/DISH on udp multicast: the RADIO (see weather_dish.py).

Sends a reading for a random city to the group named after the city, ten
times a second. Multicast needs a route for 224.0.0.0/4; on a laptop with
no network, use a unicast endpoint instead (--endpoint udp://127.0.0.1:5556).

    python examples/weather_radio.py [--endpoint 'udp://239.192.0.1:5556'] [--count N]
"""

from __future__ import annotations

import argparse
import asyncio
import random

import aiomsg

CITIES = ["paris", "lagos", "lima", "oslo"]


async def main(endpoint: str, count: int) -> None:
    async with aiomsg.Context() as ctx:
        radio = ctx.socket(aiomsg.RADIO)
        await radio.connect(endpoint)
        sent = 0
        while count <= 0 or sent < count:
            city = random.choice(CITIES)
            await radio.send(f"{random.randint(-20, 40)} C".encode(), group=city)
            sent += 1
            await asyncio.sleep(0.1)  # a reading every 100 ms: pacing, not synchronisation


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="udp://239.192.0.1:5556")
    parser.add_argument("--count", type=int, default=0, help="stop after N readings (0: never)")
    options = parser.parse_args()
    aiomsg.run(main(options.endpoint, options.count))
