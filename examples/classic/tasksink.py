"""Task sink in pyzmq: the classic version of examples/tasksink.py."""

import argparse
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5558)
parser.add_argument("--tasks", type=int, default=100)
args = parser.parse_args()

context = zmq.Context()
receiver = context.socket(zmq.PULL)
receiver.bind(f"tcp://*:{args.port}")
receiver.recv()  # the ventilator's start-of-batch signal
start = time.perf_counter()
for n in range(1, args.tasks + 1):
    receiver.recv()
    print(":" if n % 10 == 0 else ".", end="", flush=True)
elapsed_ms = (time.perf_counter() - start) * 1000
print(f"\nTotal elapsed time: {elapsed_ms:.0f} msec")
