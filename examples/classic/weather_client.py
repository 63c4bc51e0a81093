"""Weather update client in pyzmq: the classic version of examples/weather_client.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("zipcode", nargs="?", default="10001")
parser.add_argument("--port", type=int, default=5556)
parser.add_argument("--updates", type=int, default=5)
args = parser.parse_args()

context = zmq.Context()
subscriber = context.socket(zmq.SUB)
subscriber.connect(f"tcp://127.0.0.1:{args.port}")
subscriber.setsockopt_string(zmq.SUBSCRIBE, args.zipcode)
print(f"Collecting updates for zipcode '{args.zipcode}'...", flush=True)
total = 0
for _ in range(args.updates):
    update = subscriber.recv_string()
    print(update, flush=True)
    _zipcode, temperature, _relhumidity = update.split()
    total += int(temperature)
print(f"Average temperature for zipcode '{args.zipcode}' was {total / args.updates:.0f}F")
