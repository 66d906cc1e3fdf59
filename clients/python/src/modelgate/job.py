"""A submitted job, followed until it ends."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

from .errors import GatewayError, JobTimeout
from .result import Result

if TYPE_CHECKING:
    from .gateway import Gateway


class Job:
    """A job the gateway accepted. ``wait()`` gives its :class:`Result` once it has ended."""

    def __init__(self, gateway: Gateway, job_id: str, status: str = "queued", result: Result | None = None) -> None:
        self.gateway = gateway
        self.id = job_id
        self._status = status
        self._result = result

    @property
    def status(self) -> str:
        """``queued``, ``running``, ``released``, ``refused`` or ``failed``, as last seen
        (:meth:`refresh` asks again)."""
        return self._status

    @property
    def done(self) -> bool:
        return self._result is not None or self._status in ("refused", "failed", "released", "interrupted")

    def refresh(self) -> str:
        """Ask the gateway how the job stands; returns the status."""
        if self._result is None:
            document, text = self.gateway._job_document(self.id)
            self._status = str(document["status"])
            if isinstance(document.get("error"), dict):
                # The request failed before the job ran (e.g. an Idempotency-Key reused for
                # another spec): an error, as the synchronous request would have raised.
                error = document["error"]
                raise GatewayError(f"job {self.id} did not run: {error['message']}", code=str(error["code"]))
            if "result" in document or "reason" in document:
                self._result = Result(document, text)
            elif self._status in ("failed", "interrupted"):
                # Ended without a result document: its process died or the gateway stopped.
                reason = {"code": self._status, "message": f"the job ended {self._status} without a result"}
                self._result = Result({"job": self.id, "status": "failed", "reason": reason})
        return self._status

    def wait(self, timeout: float | None = None, *, progress: bool | TextIO = True, poll: float = 0.25) -> Result:
        """Wait for the job to end and return its result (refusals included).

        A progress line (status and seconds waited) is written to standard error, or to the
        stream given as ``progress``; ``progress=False`` keeps quiet. Raises
        :class:`~modelgate.errors.JobTimeout` after ``timeout`` seconds; the job goes on.
        """
        stream: TextIO | None = sys.stderr if progress is True else (progress or None)
        started = time.monotonic()
        delay = min(poll, 0.05)
        while True:
            status = self.refresh()
            waited = time.monotonic() - started
            if self._result is not None:
                if stream is not None:
                    stream.write(f"\rjob {self.id[:8]} {status} after {waited:.1f} s\n")
                    stream.flush()
                return self._result
            if stream is not None:
                stream.write(f"\rjob {self.id[:8]} {status} for {waited:.1f} s")
                stream.flush()
            if timeout is not None and waited >= timeout:
                if stream is not None:
                    stream.write("\n")
                raise JobTimeout(f"job {self.id} is still {status} after {timeout} s; wait() again to go on")
            time.sleep(delay)
            delay = min(delay * 2, poll)

    def result(self, timeout: float | None = None) -> Result:
        """The result, waiting quietly if the job has not ended."""
        return self.wait(timeout, progress=False)

    def __repr__(self) -> str:
        return f"<modelgate.Job {self.id} {self._status}>"
