"""One REQ client connected to several REP servers.

A REQ socket connected to several peers sends each request to the next peer in
turn, so the replies come from A, B, A, B, ... The client first waits until it
is connected to every server (by watching its monitor for completed
handshakes): otherwise the first requests would all go to whichever server
happened to be connected first.

    python examples/multi_rep_server.py --port 5000 --name A
    python examples/multi_rep_server.py --port 6000 --name B
    python examples/multi_rep_client.py [--ports 5000 6000] [--requests 6]
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(ports: list[int], requests: int) -> None:
    async with aiomsg.Context() as ctx:
        client = ctx.socket(aiomsg.REQ)
        events = client.monitor()  # before connecting, so that no handshake is missed
        for port in ports:
            await client.connect(f"tcp://127.0.0.1:{port}")

        print(f"Waiting for {len(ports)} servers...")
        for _ in ports:
            await events.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)

        for n in range(1, requests + 1):
            await client.send_string(f"Hello {n}")
            server = await client.recv_string()
            print(f"Request {n} answered by server {server}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--ports",
        type=int,
        nargs="+",
        default=[5000, 6000],
        help="servers' TCP ports (default: 5000 6000)",
    )
    parser.add_argument("--requests", type=int, default=6, help="requests to send (default: 6)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.ports, args.requests))
