"""Weather update server in pyzmq: the classic version of examples/weather_server.py."""

import argparse
import itertools
import random
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5556)
parser.add_argument("--hot", type=int, default=10001)
parser.add_argument("--duration", type=float)
args = parser.parse_args()

context = zmq.Context()
publisher = context.socket(zmq.PUB)
publisher.bind(f"tcp://*:{args.port}")
print(f"Publishing weather updates on {publisher.last_endpoint.decode()}", flush=True)
deadline = None if args.duration is None else time.monotonic() + args.duration
for n in itertools.count():
    if deadline is not None and time.monotonic() >= deadline:
        break
    zipcode = args.hot if args.hot and n % 2 == 0 else random.randrange(1, 100000)
    temperature = random.randrange(-80, 135)
    relhumidity = random.randrange(10, 60)
    publisher.send_string(f"{zipcode:05d} {temperature} {relhumidity}")
