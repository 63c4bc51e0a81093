"""Streamer device in pyzmq (PULL/PUSH): the classic version of examples/device_streamer.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--frontend", default="tcp://*:5565")
parser.add_argument("--backend", default="tcp://*:5566")
args = parser.parse_args()

context = zmq.Context()
frontend = context.socket(zmq.PULL)
frontend.bind(args.frontend)
backend = context.socket(zmq.PUSH)
backend.bind(args.backend)
print(
    f"Producers connect to {frontend.last_endpoint.decode()}, "
    f"workers to {backend.last_endpoint.decode()}",
    flush=True,
)
zmq.proxy(frontend, backend)  # zmq.device(zmq.STREAMER, ...) in older code
