"""Hello World client in pyzmq: the classic version of examples/hello_client.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5555)
parser.add_argument("--requests", type=int, default=10)
args = parser.parse_args()

context = zmq.Context()
client = context.socket(zmq.REQ)
client.connect(f"tcp://127.0.0.1:{args.port}")
for n in range(1, args.requests + 1):
    client.send_string("Hello")
    reply = client.recv_string()
    print(f"Received reply {n}: {reply}", flush=True)
