"""modelgate: results from sensitive public data, never the data itself.

A client for a modelgate gateway::

    from modelgate import Gateway
    gw = Gateway("http://127.0.0.1:8080", token)
    gw.codebook("household-survey")                     # what each column is and may do
    result = gw.run({"model": "crosstab", "dataset": "household-survey",
                     "rows": ["district"], "columns": ["sex"]})
    result.to_pandas()                                  # the released cells, withheld ones NaN
    result.disclosure.why, result.citation, result.receipt

Refusals are results (``result.status == "refused"``, ``result.reason``); transport, token and
unreadable-spec errors are exceptions (:mod:`modelgate.errors`).
"""

from .errors import (
    AuthError,
    Busy,
    ConnectionFailed,
    GatewayError,
    InvalidSpec,
    JobTimeout,
    NotFound,
    NotReleased,
)
from .gateway import Gateway, Spec
from .job import Job
from .result import DatasetRef, Disclosure, Reason, Receipt, Result

__version__ = "0.9.0"

__all__ = [
    "AuthError",
    "Busy",
    "ConnectionFailed",
    "DatasetRef",
    "Disclosure",
    "Gateway",
    "GatewayError",
    "InvalidSpec",
    "Job",
    "JobTimeout",
    "NotFound",
    "NotReleased",
    "Reason",
    "Receipt",
    "Result",
    "Spec",
]
