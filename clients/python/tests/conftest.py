"""Starts a real `modelgate serve --demo` on a free port for the whole test session.

The binary is $MODELGATE_BIN, or the repository's `.build/debug/modelgate` (built by
`swift build`; `scripts/test` builds it before running these tests). The demo seeds the
synthetic household survey, one principal per role and an approved agreement; its CSV, kept in
the state folder, is what the tests compute expected values from, independently of the gateway.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Iterator

import httpx
import pandas as pd
import pytest

from modelgate import Gateway

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    state: pathlib.Path
    repository: pathlib.Path

    def data(self, dataset: str = "household-survey") -> pd.DataFrame:
        """The demo's raw rows (what the gateway holds and never gives out)."""
        return pd.read_csv(self.state / "demo" / f"{dataset}.csv")


def _binary() -> pathlib.Path:
    binary = pathlib.Path(os.environ.get("MODELGATE_BIN", REPOSITORY / ".build" / "debug" / "modelgate"))
    if not binary.exists():
        pytest.exit(f"no modelgate binary at {binary}: run `swift build` first, or set MODELGATE_BIN", 2)
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("modelgate-state")
    log = state.parent / "serve.log"
    port = _free_port()
    command = [
        str(_binary()), "serve", "--demo", "--state", str(state), "--policies", str(REPOSITORY / "policies"),
        "--port", str(port),
    ]
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=REPOSITORY)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.exit(f"modelgate serve did not start; its output:\n{log.read_text()}", 2)
        time.sleep(0.1)
    tokens = json.loads((state / "demo-tokens.json").read_text())
    yield Server(url, tokens, state, REPOSITORY)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture(scope="session")
def gateway(server: Server) -> Iterator[Gateway]:
    with Gateway(server.url, server.tokens["researcher"]) as gw:
        yield gw
