"""Request-reply client in pyzmq, talking to a queue device: the classic
version of examples/rr_client.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5559)
parser.add_argument("--requests", type=int, default=10)
args = parser.parse_args()

context = zmq.Context()
client = context.socket(zmq.REQ)
client.connect(f"tcp://127.0.0.1:{args.port}")
for n in range(1, args.requests + 1):
    client.send_string("Hello")
    print(f"Received reply {n}: {client.recv_string()}", flush=True)
