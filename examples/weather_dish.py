"""Weather over RADIO/DISH on udp multicast: the DISH (see weather_radio.py).

Joins the groups of the cities given and prints the readings it receives.

    python examples/weather_dish.py [--endpoint 'udp://239.192.0.1:5556'] [--count 5] paris oslo
"""

from __future__ import annotations

import argparse

import aiomsg


async def main(endpoint: str, count: int, cities: list[str]) -> None:
    async with aiomsg.Context() as ctx:
        dish = ctx.socket(aiomsg.DISH)
        for city in cities:
            await dish.join(city)
        await dish.bind(endpoint)
        for _ in range(count):
            reading, city = await dish.recv_with_group()
            print(f"{city.decode()}: {reading.decode()}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="udp://239.192.0.1:5556")
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("cities", nargs="*", default=["paris", "oslo"])
    options = parser.parse_args()
    aiomsg.run(main(options.endpoint, options.count, options.cities))
