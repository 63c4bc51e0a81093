"""Task worker in pyzmq: the classic version of examples/taskwork.py."""

import argparse
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5557)
parser.add_argument("--sink-port", type=int, default=5558)
parser.add_argument("--count", type=int)
args = parser.parse_args()

context = zmq.Context()
receiver = context.socket(zmq.PULL)
receiver.connect(f"tcp://127.0.0.1:{args.port}")
sender = context.socket(zmq.PUSH)
sender.connect(f"tcp://127.0.0.1:{args.sink_port}")
done = 0
while args.count is None or done < args.count:
    workload = int(receiver.recv_string())
    time.sleep(workload / 1000)
    sender.send(b"")
    print(".", end="", flush=True)
    done += 1
print()
