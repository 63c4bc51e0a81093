"""Football news publisher in pyzmq: the classic version of examples/football_publisher.py."""

import argparse
import itertools
import random
import time

import zmq

COUNTRIES = ["Spain", "Italy", "France", "Germany", "England", "Brazil", "Argentina", "Portugal"]
EVENTS = ["goal", "corner", "free kick", "penalty", "yellow card", "red card", "offside"]

parser = argparse.ArgumentParser()
where = parser.add_mutually_exclusive_group()
where.add_argument("--port", type=int, default=5563)
where.add_argument("--connect")
parser.add_argument("--interval", type=float, default=0.05)
parser.add_argument("--count", type=int)
parser.add_argument("--duration", type=float)
args = parser.parse_args()

context = zmq.Context()
publisher = context.socket(zmq.PUB)
if args.connect:
    publisher.connect(args.connect)
else:
    publisher.bind(f"tcp://*:{args.port}")
print(f"Publishing football news every {args.interval} s", flush=True)
deadline = None if args.duration is None else time.monotonic() + args.duration
for _ in range(args.count) if args.count is not None else itertools.count():
    if deadline is not None and time.monotonic() >= deadline:
        break
    publisher.send_string(f"{random.choice(COUNTRIES)} {random.choice(EVENTS)}")
    time.sleep(args.interval)
