"""Hello World server in pyzmq: the classic version of examples/hello_server.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5555)
parser.add_argument("--count", type=int)
args = parser.parse_args()

context = zmq.Context()
server = context.socket(zmq.REP)
server.bind(f"tcp://*:{args.port}")
answered = 0
while args.count is None or answered < args.count:
    request = server.recv_string()
    print(f"Received request: {request}", flush=True)
    server.send_string("World")
    answered += 1
