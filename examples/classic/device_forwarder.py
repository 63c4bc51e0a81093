"""Forwarder device in pyzmq (XSUB/XPUB): the classic version of examples/device_forwarder.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--frontend", default="tcp://*:5561")
parser.add_argument("--backend", default="tcp://*:5562")
args = parser.parse_args()

context = zmq.Context()
frontend = context.socket(zmq.XSUB)
frontend.bind(args.frontend)
backend = context.socket(zmq.XPUB)
backend.bind(args.backend)
print(
    f"Publishers connect to {frontend.last_endpoint.decode()}, "
    f"subscribers to {backend.last_endpoint.decode()}",
    flush=True,
)
zmq.proxy(frontend, backend)  # zmq.device(zmq.FORWARDER, ...) in older code
