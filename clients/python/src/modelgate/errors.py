"""Exceptions: what stops a request from reaching a decision.

A *refusal* is a decision (the policy, the agreement, a budget or the disclosure check said no)
and comes back as a :class:`~modelgate.Result` with ``status == "refused"``. An exception means
the gateway could not be reached, did not accept who you are, or could not read what you sent.
Each carries the server's own ``code`` and ``message``.
"""

from __future__ import annotations


class GatewayError(Exception):
    """The gateway answered with an error, or could not be reached.

    ``status`` is the HTTP status (``None`` when nothing was answered), ``code`` the server's
    stable error code (e.g. ``unauthorized``, ``invalid_spec``) and ``message`` its explanation.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(f"{message} ({code})" if code else message)
        self.message = message
        self.status = status
        self.code = code


class ConnectionFailed(GatewayError):
    """Nothing answered at the gateway's address, or the connection broke."""


class AuthError(GatewayError):
    """The token is missing, unknown or disabled (401), or its role may not do this (403)."""


class NotFound(GatewayError):
    """No such dataset, job or route (404), or it is not yours to read."""


class InvalidSpec(GatewayError):
    """The spec could not be read (400): a misspelt key, a missing one, a wrong type.

    No job was created; fix the spec as the message says and submit again.
    """


class Busy(GatewayError):
    """The gateway has too many jobs waiting (429) or is shutting down (503); try again later.

    ``retry_after`` is the server's advice in seconds, when it gave one.
    """

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class JobTimeout(GatewayError):
    """:meth:`modelgate.Job.wait` ran out of time; the job goes on and can be waited for again."""


class NotReleased(ValueError):
    """A refused or failed result has no values: see its ``reason``."""
