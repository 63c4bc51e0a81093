"""Runs inside a private network namespace (test_pgm_bad_input.py); not a test module.

An aiomsg PUB streams to an aiomsg SUB on epgm while a hostile host, on the
same group and port, sends every malformed packet we know of, forged
sessions with absurd sequence jumps, and a flood of NAKs at the PUB. Prints
one JSON line: what the SUB received and what both sockets counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _messages import SYNC, case, digest

import aiomsg
from aiomsg._pgm.packets import (
    Tsi,
    checksum,
    encode_data,
    encode_nak,
    encode_spm,
    parse,
)

GROUP, PORT = "239.192.1.1", 5555
ENDPOINT = f"epgm://127.0.0.1;{GROUP}:{PORT}"
LOCAL = socket.inet_aton("127.0.0.1")
GROUP_NLA = socket.inet_aton(GROUP)


def rechecked(packet: bytes) -> bytes:
    data = bytearray(packet)
    data[6:8] = b"\0\0"
    data[6:8] = checksum(bytes(data)).to_bytes(2, "big")
    return bytes(data)


def malformed(forged: Tsi) -> list[bytes]:
    """Each one must be dropped and counted (or, for the data that parses but
    cannot be decoded, dropped and counted as a stream error)."""
    good = encode_data(forged, PORT, 0, 0, b"\x00\x00\x02\x00a")
    return [
        b"",
        b"\x01",
        good[:15],  # truncated header
        good[:-1],  # truncated payload: bad checksum
        good[:6] + b"\x12\x34" + good[8:],  # wrong checksum
        good[:6] + b"\0\0" + good[8:],  # data without a checksum
        rechecked(good[:14] + b"\x00\x63" + good[16:]),  # TSDU length lies
        rechecked(good[:4] + b"\x01" + good[5:]),  # POLL: a type libzmq never uses
        rechecked(  # OPT_FRAGMENT
            good[:5] + b"\x01" + good[6:24]
            + bytes.fromhex("00040014811000000000000000000000" "00000009") + good[24:]
        ),
        os.urandom(1400),  # noise
        bytes(2000),  # over multicast_maxtpdu - 28? no: 2000 > 1472, refused by size
    ]  # fmt: skip


def undecodable(forged: Tsi) -> list[bytes]:
    """Valid packets whose stream libzmq would crash on: 1-byte TSDU, offset
    past the end, a v1 frame of size 0."""
    return [
        encode_spm(forged, PORT, 0, 0, 0xFFFFFFFF, LOCAL),
        encode_data(forged, PORT, 0, 0, b"\x00"),
        encode_data(forged, PORT, 1, 0, b"\x00\x09ab"),
        encode_data(forged, PORT, 2, 0, b"\x00\x00\x00\x00"),
    ]


def jumps(forged: Tsi) -> list[bytes]:
    """A forged session leaping through the sequence space."""
    return [
        encode_spm(forged, PORT, 0, 0, 0xFFFFFFFF, LOCAL),
        encode_data(forged, PORT, 0, 0, b"\x00\x00\x02\x00a"),
        encode_data(forged, PORT, 0x7000_0000, 0, b"\x00\x00\x02\x00b"),
        encode_data(forged, PORT, 0xFFFF_FFF0, 0, b"\x00\x00\x02\x00c"),
        encode_spm(forged, PORT, 1, 0x6000_0000, 0x7FFF_FFFF, LOCAL),
    ]


async def sniff_tsi() -> Tsi:
    """The good source's TSI, read off the group like any host could."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((GROUP, PORT))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, GROUP_NLA + LOCAL)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await loop.sock_recv(sock, 65535)
            try:
                return parse(data).tsi
            except ValueError:
                continue
    finally:
        sock.close()


async def main(loop_name: str) -> None:
    del loop_name
    async with aiomsg.Context() as ctx:
        sub = ctx.socket(aiomsg.SUB, rate=100_000)
        sub.subscribe(b"")
        monitor = sub.monitor()
        await sub.connect(ENDPOINT)
        pub = ctx.socket(aiomsg.PUB, rate=100_000)
        await pub.connect(ENDPOINT)
        sniffer = asyncio.ensure_future(sniff_tsi())
        async with asyncio.timeout(20):
            heard = asyncio.ensure_future(sub.recv_multipart())
            while not heard.done():  # synchronise: the SUB hears the PUB
                await pub.send_multipart([SYNC, b"p"])
                await asyncio.wait({heard}, timeout=0.02)
            good = await sniffer
            hostile = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            hostile.bind(("127.0.0.1", 0))
            hostile.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, LOCAL)
            forged = [Tsi(os.urandom(6), port) for port in (101, 102, 103)]
            # NAKs at the PUB: garbage, for another address, and a flood of
            # valid ones for the first packets (one RDATA per holdoff each).
            valid = encode_nak(good, PORT, [0], LOCAL, GROUP_NLA)
            bad_naks = [
                valid[:6] + bytes([valid[6] ^ 0xFF, valid[7]]) + valid[8:],  # bad checksum
                encode_nak(good, PORT, [0], socket.inet_aton("10.1.2.3"), GROUP_NLA),
            ]
            flood = [encode_nak(good, PORT, [n % 5], LOCAL, GROUP_NLA) for n in range(2000)]

            # The packets for the group go first, onto a quiet group, and
            # the malformed ones are counted before the burst: UDP gives no
            # delivery guarantee, and under load the burst and the NCFs
            # answering the NAK flood can overflow the SUB's receive buffer,
            # so a packet the kernel dropped would never reach the counter.
            # The forged sessions' repairs (NAKs, then DATA_LOST) still run
            # through the burst.
            for packet in malformed(forged[0]) + undecodable(forged[1]):
                hostile.sendto(packet, (GROUP, PORT))
            sent_bad = len(malformed(forged[0])) + 3
            while sub.stats().protocol_errors < sent_bad:
                await asyncio.sleep(0.01)
            for packet in jumps(forged[2]):
                hostile.sendto(packet, (GROUP, PORT))

            async def attack() -> None:
                for packet in bad_naks:
                    hostile.sendto(packet, ("127.0.0.1", PORT))
                for start in range(0, len(flood), 100):
                    for packet in flood[start : start + 100]:
                        hostile.sendto(packet, ("127.0.0.1", PORT))
                    await asyncio.sleep(0)  # interleave with the good stream

            want = [digest(m) for m in case("burst")]
            attacker = asyncio.ensure_future(attack())
            for message in case("burst"):
                await pub.send_multipart(message)
            got = []
            try:
                while len(got) < len(want):
                    message = await sub.recv_multipart()
                    # Forged sessions are sources like any other (PGM has no
                        # authentication): their few whole messages arrive too.
                    if message[0] not in (SYNC, b"a", b"b", b"c"):
                        got.append(digest(message))
            except asyncio.CancelledError:
                print("received", len(got), "of", len(want), sub.stats(), file=sys.stderr)
                raise
            await attacker
            events = [
                (await monitor.wait_for(aiomsg.Event.PROTOCOL_ERROR)).event.value,
                (await monitor.wait_for(aiomsg.Event.DATA_LOST)).event.value,
            ]
        sub_stats, pub_stats = sub.stats(), pub.stats()
        print(
            json.dumps(
                {
                    "in_order": got == want,
                    "received": len(got),
                    "sub_protocol_errors": sub_stats.protocol_errors,
                    "sub_data_losses": sub_stats.data_losses,
                    "pub_protocol_errors": pub_stats.protocol_errors,
                    "malformed_sent": sent_bad,
                    "events": sorted(events),
                }
            )
        )
        ctx.destroy(linger=0)


if __name__ == "__main__":
    if sys.argv[1] == "uvloop":
        import uvloop

        uvloop.run(main(sys.argv[1]))
    else:
        asyncio.run(main(sys.argv[1]))
