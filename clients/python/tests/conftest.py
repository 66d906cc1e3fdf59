"""Starts a real `modelgate serve --demo` on a free port for the whole test session.

The binary is $MODELGATE_BIN, or the repository's `.build/debug/modelgate` (built by
`swift build`; `scripts/test` builds it before running these tests). The demo seeds the
synthetic household survey, one principal per role and an approved agreement; its CSV, kept in
the state folder, is what the tests compute expected values from, independently of the gateway.
"""

from __future__ import annotations

import pathlib
import sys
from dataclasses import dataclass
from typing import Iterator

import pandas as pd
import pytest

from modelgate import Gateway

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPOSITORY / "scripts" / "testing"))
import demo_gateway  # noqa: E402  (the repository's shared test helper, standard library only)


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    state: pathlib.Path
    repository: pathlib.Path

    def data(self, dataset: str = "household-survey") -> pd.DataFrame:
        """The demo's raw rows (what the gateway holds and never gives out)."""
        return pd.read_csv(self.state / "demo" / f"{dataset}.csv")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        with demo_gateway.running(tmp_path_factory.mktemp("modelgate-state")) as running:
            yield Server(running.url, running.tokens, running.state, REPOSITORY)
    except RuntimeError as error:
        pytest.exit(str(error), 2)


@pytest.fixture(scope="session")
def gateway(server: Server) -> Iterator[Gateway]:
    with Gateway(server.url, server.tokens["researcher"]) as gw:
        yield gw
