"""A REP server that answers with its name, in pyzmq: the classic version of
examples/multi_rep_server.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5000)
parser.add_argument("--name", default="A")
args = parser.parse_args()

context = zmq.Context()
server = context.socket(zmq.REP)
server.bind(f"tcp://*:{args.port}")
while True:
    request = server.recv_string()
    print(f"Server {args.name} received: {request}", flush=True)
    server.send_string(args.name)
