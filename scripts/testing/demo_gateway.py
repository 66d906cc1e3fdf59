"""A real `modelgate serve --demo` on a free port, for the Python test suites of this
repository (the client's in clients/python/tests, the console's in browser-tests): started,
waited for, and stopped gracefully. Standard library only, so that each suite's own venv can
import it (the suites put this folder on sys.path).
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from typing import Iterator

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


@dataclass
class DemoGateway:
    url: str
    #: One token per role: researcher, owner, auditor, admin.
    tokens: dict[str, str]
    state: pathlib.Path
    binary: pathlib.Path


def binary() -> pathlib.Path:
    """$MODELGATE_BIN, or the repository's debug build."""
    return pathlib.Path(os.environ.get("MODELGATE_BIN", REPOSITORY / ".build" / "debug" / "modelgate"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running(state: pathlib.Path, timeout: float = 120) -> Iterator[DemoGateway]:
    """Starts the demo gateway with its state in `state` (an empty folder) and the repository's
    policies; stops it with SIGTERM (running jobs finish) when the block ends. Raises
    RuntimeError with the gateway's output when it does not start."""
    program = binary()
    if not program.exists():
        raise RuntimeError(f"no modelgate binary at {program}: run `swift build` first, or set MODELGATE_BIN")
    port = free_port()
    log = state.parent / f"{state.name}-serve.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(program), "serve", "--demo", "--state", str(state), "--policies", str(REPOSITORY / "policies"),
             "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT, cwd=REPOSITORY,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                if answer.status == 200:
                    break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"modelgate serve did not start; its output:\n{log.read_text()}")
        time.sleep(0.1)
    try:
        yield DemoGateway(url, json.loads((state / "demo-tokens.json").read_text()), state, program)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
