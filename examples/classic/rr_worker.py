"""Request-reply worker in pyzmq, behind a queue device: the classic version
of examples/rr_worker.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5560)
args = parser.parse_args()

context = zmq.Context()
worker = context.socket(zmq.REP)
worker.connect(f"tcp://127.0.0.1:{args.port}")
while True:
    request = worker.recv_string()
    print(f"Received request: {request}", flush=True)
    worker.send_string("World")
