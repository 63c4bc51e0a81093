"""The web examples' live weather page in real headless Chromium, over ws and wss.

examples/web/aiohttp_app.py (and fastapi_app.py, under uvicorn) serves the
page at ``/weather`` and relays the weather feed to ZeroMQ clients on
``/zmq/weather`` of the same port. The
page's SUB socket (``examples/web/static/zws.js``, ZWS 2.0 in plain
JavaScript) subscribes to 10001; the test publishes updates for 10001 and
90210 into the feed until the page shows enough of them, then reads the DOM
and saves a screenshot under the test's temporary directory.

Chromium is Debian's ``/usr/bin/chromium``, driven by playwright-core from
npm (``tests/peers/node/browser.js``) with a fresh, empty user-data-dir;
one launch serves the three pages (aiohttp over http and https, FastAPI
over http). For ``https``/``wss`` the app's certificate
is one the test makes, trusted by its public key alone with
``--ignore-certificate-errors-spki-list`` (no system trust store is
touched, and any other certificate error still fails).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import shutil
import ssl
import subprocess
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from interop._node import NODE_MODULES, REPO

from ._servers import asgi_missing, uvicorn_serving
from ._support import load_example, running_feed, running_workers

aiohttp_app = load_example("aiohttp_app")
fastapi_app = load_example("fastapi_app")

BROWSER_SCRIPT = REPO / "tests" / "peers" / "node" / "browser.js"
CHROMIUM = os.environ.get("AIOMSG_CHROMIUM", "/usr/bin/chromium")
ROWS = 5  # live updates the page must show
BROWSER_TIMEOUT = 60.0  # the whole browser run: launch, both pages, screenshots
PAGE_TIMEOUT_MS = 15000
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if shutil.which("node") is None:
        return "node (Node 20) is not installed; run `make peers` as root"
    if not (NODE_MODULES / "playwright-core").is_dir():
        return f"the npm package playwright-core is not installed in {NODE_MODULES}; run `make peers`"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: Debian's chromium package (`make peers` as root)"
    if shutil.which("openssl") is None:
        return "the openssl command is not installed: no certificate for the https page"
    return asgi_missing()


def make_certificate(directory: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1, its key, and the base64 SHA-256
    of its public key (what ``--ignore-certificate-errors-spki-list`` takes)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    public = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
        check=True, capture_output=True, timeout=30, text=True,
    ).stdout  # fmt: skip
    der = base64.b64decode("".join(line for line in public.splitlines() if "-----" not in line))
    return cert, key, base64.b64encode(hashlib.sha256(der).digest()).decode()


async def run_browser(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Run browser.js with *request*; one report per page."""
    process = await asyncio.create_subprocess_exec(
        "node", "--no-warnings", str(BROWSER_SCRIPT), json.dumps(request),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )  # fmt: skip
    try:
        async with asyncio.timeout(BROWSER_TIMEOUT):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode(errors="replace")
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_weather_page_shows_live_updates_over_ws_and_wss(tmp_path: Path) -> None:
    """aiohttp over http (ws) and https (wss), FastAPI over http (ws)."""
    if missing := browser_missing():
        pytest.skip(missing)
    cert, key, spki = make_certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    async with running_workers(1) as workers, running_feed() as (publisher, feed):
        runner = web.AppRunner(aiohttp_app.create_app(workers, feed))
        await runner.setup()
        async with AsyncExitStack() as stack:
            stack.push_async_callback(runner.cleanup)
            fastapi_port = await stack.enter_async_context(
                uvicorn_serving(fastapi_app.create_app(workers, feed), lifespan="on")
            )
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls).start()
            (_, http_port), (_, https_port) = runner.addresses[:2]
            pages = [
                {"url": f"http://127.0.0.1:{http_port}/weather?zipcode=10001",
                 "rows": ROWS, "screenshot": str(tmp_path / "weather-ws.png")},
                {"url": f"https://127.0.0.1:{https_port}/weather?zipcode=10001",
                 "rows": ROWS, "screenshot": str(tmp_path / "weather-wss.png")},
                {"url": f"http://127.0.0.1:{fastapi_port}/weather?zipcode=10001",
                 "rows": ROWS, "screenshot": str(tmp_path / "weather-fastapi.png")},
            ]  # fmt: skip
            request = {
                "chromium": CHROMIUM,
                "userDataDir": str(tmp_path / "chromium-profile"),
                "args": [*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={spki}"],
                "timeoutMs": PAGE_TIMEOUT_MS,
                "pages": pages,
            }
            browser = asyncio.ensure_future(run_browser(request))
            # Publish until the browser is done (it bounds itself): update n
            # is "10001 n 40", then "90210 n 40", about 50 of each a second.
            rounds = 0
            while not browser.done():
                rounds += 1
                await publisher.send_string(f"10001 {rounds} 40")
                await publisher.send_string(f"90210 {rounds} 40")
                await asyncio.wait([browser], timeout=0.02)
            reports = browser.result()

    assert [report["url"] for report in reports] == [page["url"] for page in pages]
    for report, page in zip(reports, pages, strict=True):
        assert "error" not in report, report
        assert report["status"].startswith("subscribed to 10001 at ws"), report
        assert report["count"] >= ROWS and len(report["rows"]) >= ROWS, report
        for _time, zipcode, temperature, humidity in report["rows"]:
            # Only the subscribed zipcode reaches the page: the XPUB relay
            # passed the browser's subscription up to the feed.
            assert zipcode == "10001" and int(temperature) >= 1 and humidity == "40", report
        assert Path(page["screenshot"]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert reports[1]["status"].startswith(f"subscribed to 10001 at wss://127.0.0.1:{https_port}")
    assert reports[2]["status"].startswith(f"subscribed to 10001 at ws://127.0.0.1:{fastapi_port}")
