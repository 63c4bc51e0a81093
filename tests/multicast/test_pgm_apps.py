"""What users run over epgm: the ``aiomsg pub``/``sub`` commands and the weather
example, in a private network namespace (_cli_scenario.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from multicast._netns import namespace_missing, run_in_namespace

SCRIPT = Path(__file__).with_name("_cli_scenario.py")


@pytest.fixture(autouse=True)
def _namespace() -> None:
    missing = namespace_missing()
    if missing is not None:
        pytest.skip(missing)


@pytest.mark.asyncio(loop_factories=["asyncio"])  # the processes choose their own loop
async def test_cli_pub_sub_over_epgm() -> None:
    result = await run_in_namespace(SCRIPT, "cli", timeout=40)
    assert result == {"stdout": "weather\tsunny\nweather\train\n", "pub": 0, "sub": 0}


@pytest.mark.asyncio(loop_factories=["asyncio"])
async def test_weather_example_over_epgm() -> None:
    result = await run_in_namespace(SCRIPT, "weather", timeout=40)
    assert result["client"] == 0, result["stderr"]
    lines = str(result["stdout"]).splitlines()
    assert lines[0] == "Collecting updates for zipcode '10001'..."
    assert all(line.startswith("10001 ") for line in lines[1:6])
    assert lines[-1].startswith("Average temperature for zipcode '10001' was ")
