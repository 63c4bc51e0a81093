"""Two PAIR sockets playing ping-pong, in pyzmq: the classic version of
examples/pair.py. The classic program gives each socket a thread (sockets
are not thread-safe); the aiomsg version gives each a task."""

import argparse
import threading

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", default="inproc://pair")
parser.add_argument("--rounds", type=int, default=3)
args = parser.parse_args()


def ponger(context: zmq.Context, endpoint: str, rounds: int) -> None:
    sock = context.socket(zmq.PAIR)
    sock.connect(endpoint)
    for _ in range(rounds):
        ping = sock.recv_string()
        print(f"ponger received: {ping}", flush=True)
        sock.send_string(ping.replace("ping", "pong"))
    sock.close()


context = zmq.Context()
left = context.socket(zmq.PAIR)
left.bind(args.endpoint)
endpoint = left.last_endpoint.decode()  # the actual endpoint, e.g. with the port chosen
thread = threading.Thread(target=ponger, args=(context, endpoint, args.rounds))
thread.start()
for n in range(1, args.rounds + 1):
    left.send_string(f"ping {n}")
    print(f"pinger received: {left.recv_string()}", flush=True)
thread.join()
left.close()
context.term()
