"""A REQ client load-balancing over two servers, in pyzmq: the classic version
of examples/multi_rep_client.py.

libzmq queues requests for a server that has not answered the connection
yet; the aiomsg version waits for the handshakes first, so that the first
requests are shared too (it would queue them as well).
"""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--ports", type=int, nargs="+", default=[5000, 6000])
parser.add_argument("--requests", type=int, default=6)
args = parser.parse_args()

context = zmq.Context()
client = context.socket(zmq.REQ)
for port in args.ports:
    client.connect(f"tcp://127.0.0.1:{port}")
for n in range(1, args.requests + 1):
    client.send_string(f"Hello {n}")
    server = client.recv_string()
    print(f"Request {n} answered by server {server}", flush=True)
