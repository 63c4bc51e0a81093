"""Task ventilator in pyzmq: the classic version of examples/taskvent.py.

input() blocks this program, but not libzmq's I/O threads: the workers keep
connecting meanwhile. In aiomsg everything runs on the event loop, so the
aiomsg version waits for Enter in a thread (asyncio.to_thread).
"""

import argparse
import random

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5557)
parser.add_argument("--sink-port", type=int, default=5558)
parser.add_argument("--tasks", type=int, default=100)
parser.add_argument("--max-ms", type=int, default=100)
args = parser.parse_args()

context = zmq.Context()
sender = context.socket(zmq.PUSH)
sender.bind(f"tcp://*:{args.port}")
sink = context.socket(zmq.PUSH)
sink.connect(f"tcp://127.0.0.1:{args.sink_port}")

input("Press Enter when the workers are ready: ")
sink.send(b"0")  # the batch starts now
workloads = [random.randint(1, args.max_ms) for _ in range(args.tasks)]
print(f"Sending {args.tasks} tasks, total expected cost: {sum(workloads)} msec", flush=True)
for workload in workloads:
    sender.send_string(str(workload))
context.destroy()  # closes the sockets; waits until every queued task is handed over
