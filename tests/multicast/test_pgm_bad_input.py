"""Hostile input on a multicast group: dropped, counted, and the good source
keeps flowing (_bad_input.py, run in a private network namespace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from multicast._netns import loop_name, namespace_missing, run_in_namespace

SCRIPT = Path(__file__).with_name("_bad_input.py")


async def test_garbage_forged_sessions_and_a_nak_flood(request: pytest.FixtureRequest) -> None:
    """Truncated, corrupt and checksum-less packets, a type libzmq never uses,
    OPT_FRAGMENT, an oversized datagram, undecodable streams (1-byte TSDU,
    offset past the end, v1 size 0), forged sessions leaping through the
    sequence space, and 2000 NAKs at the source: the SUB counts each bad
    packet as a protocol error, reports the forged losses as DATA_LOST, and
    gets every good message in order; the PUB counts the bad NAKs."""
    missing = namespace_missing()
    if missing is not None:
        pytest.skip(missing)
    result = await run_in_namespace(SCRIPT, loop_name(request), timeout=60)
    assert result["in_order"] is True and result["received"] == 400
    assert result["sub_protocol_errors"] >= result["malformed_sent"]
    assert result["sub_data_losses"] >= 1  # the forged jumps, not the good stream
    assert result["pub_protocol_errors"] >= 2  # garbage and a NAK for another address
    assert result["events"] == ["data_lost", "protocol_error"]  # on the monitor too
