"""Queue device in pyzmq (ROUTER/DEALER): the classic version of examples/device_queue.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--frontend", default="tcp://*:5559")
parser.add_argument("--backend", default="tcp://*:5560")
args = parser.parse_args()

context = zmq.Context()
frontend = context.socket(zmq.ROUTER)
frontend.bind(args.frontend)
backend = context.socket(zmq.DEALER)
backend.bind(args.backend)
print(
    f"Clients connect to {frontend.last_endpoint.decode()}, "
    f"workers to {backend.last_endpoint.decode()}",
    flush=True,
)
zmq.proxy(frontend, backend)  # zmq.device(zmq.QUEUE, ...) in older code
