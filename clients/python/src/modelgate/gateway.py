"""The connection to a modelgate gateway."""

from __future__ import annotations

import json
import os
import pathlib
import uuid
from typing import Any, Mapping, Union

import httpx
import pandas as pd

from .errors import AuthError, Busy, ConnectionFailed, GatewayError, InvalidSpec, NotFound
from .job import Job
from .result import Result

#: A spec: a dict (sent as JSON), YAML or JSON text, or the path of a ``.yaml``/``.json`` file.
Spec = Union[Mapping[str, Any], str, pathlib.Path]


class Gateway:
    """A researcher's (or owner's, or auditor's) session with a gateway.

    >>> gw = Gateway("http://127.0.0.1:8080", token)           # doctest: +SKIP
    >>> gw.run({"model": "crosstab", "dataset": "household-survey",
    ...         "rows": ["district"]}).to_pandas()              # doctest: +SKIP

    ``url`` and ``token`` default to the environment's ``MODELGATE_URL`` and
    ``MODELGATE_TOKEN``. Requests that fail to connect are retried ``retries`` times; a
    submission carries an ``Idempotency-Key``, so a retried one never runs twice.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = url or os.environ.get("MODELGATE_URL")
        token = token or os.environ.get("MODELGATE_TOKEN")
        if not url:
            raise ValueError("give the gateway's URL, e.g. Gateway('http://127.0.0.1:8080', token), or set MODELGATE_URL")
        if not token:
            raise ValueError("give your token (modelgate principal add prints it), or set MODELGATE_TOKEN")
        self.url = url.rstrip("/")
        self.retries = retries
        self._client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    # Who and what

    def me(self) -> dict[str, Any]:
        """Your principal: role, agreements, quota left today and privacy budgets."""
        return self._get_json("/v1/me")

    def catalog(self) -> pd.DataFrame:
        """The datasets you may see, one row each: title, owner, state, open attribute, the
        models it allows, its version and citation."""
        datasets = self._get_json("/v1/datasets")["datasets"]
        columns = ["id", "title", "owner", "state", "openAttribute", "models", "version", "citation"]
        return pd.DataFrame([{c: d.get(c) for c in columns} for d in datasets], columns=columns).set_index("id")

    def dataset(self, dataset: str) -> dict[str, Any]:
        """One dataset's catalog entry as the gateway sends it."""
        return self._get_json(f"/v1/datasets/{_segment(dataset)}")

    def codebook(self, dataset: str) -> pd.DataFrame:
        """A dataset's codebook: one row per column with its class, type, description, unit,
        declared levels (never levels taken from the data), range, and ``uses`` (what a spec may
        do with it: group, filter, measure, feature). ``frame.attrs`` holds the dataset's title,
        models, citation and version."""
        entry = self.dataset(dataset)
        columns = ["name", "class", "type", "description", "unit", "levels", "min", "max", "uses"]
        frame = pd.DataFrame([{c: col.get(c) for c in columns} for col in entry["columns"]], columns=columns)
        frame = frame.set_index("name")
        frame.attrs.update({k: entry.get(k) for k in ("id", "title", "models", "citation", "version", "owner")})
        return frame

    # Jobs

    def submit(
        self,
        spec: Spec,
        *,
        label: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Send a spec; the gateway queues it and answers at once. ``job.wait()`` gives the
        result. ``label`` names the job in your job list (for a spec that has none).

        A spec the gateway cannot read raises :class:`~modelgate.errors.InvalidSpec`; a spec it
        reads but refuses (policy, agreement, budget) gives a refused result on ``wait()``.
        """
        body, content_type = _spec_body(spec, label)
        headers = {
            "Content-Type": content_type,
            "Prefer": "respond-async",
            "Idempotency-Key": idempotency_key or f"python-{uuid.uuid4()}",
        }
        answer = self._request("POST", "/v1/jobs", content=body, headers=headers)
        document = answer.json()
        if answer.status_code == 202:
            return Job(self, str(document["job"]), str(document.get("status", "queued")))
        # A gateway that answered at once (an idempotent replay, or one without async support).
        return Job(self, str(document["job"]), str(document["status"]), Result(document, answer.text))

    def run(self, spec: Spec, *, label: str | None = None, timeout: float | None = None, progress: bool = True) -> Result:
        """Submit a spec and wait for its result: ``submit(spec).wait()``."""
        return self.submit(spec, label=label).wait(timeout, progress=progress)

    def preview(self, spec: Spec) -> dict[str, Any]:
        """What a spec would cost and whether it would be admitted, without running it: its
        figures, ε and the budget left (for dp datasets), quota left."""
        body, content_type = _spec_body(spec, None)
        return self._request("POST", "/v1/jobs/preview", content=body, headers={"Content-Type": content_type}).json()

    def job(self, job_id: str) -> Job:
        """A job submitted earlier (by you, or any, for an auditor)."""
        document, text = self._job_document(job_id)
        done = "result" in document or "reason" in document
        return Job(self, job_id, str(document["status"]), Result(document, text) if done else None)

    def jobs(self, limit: int = 100) -> pd.DataFrame:
        """Your jobs, newest first: dataset, model, status, time and label."""
        listed = self._get_json("/v1/jobs", params={"limit": limit})["jobs"]
        columns = ["job", "submittedAt", "dataset", "model", "status", "label", "principal"]
        frame = pd.DataFrame([{c: j.get(c) for c in columns} for j in listed], columns=columns).set_index("job")
        frame["submittedAt"] = pd.to_datetime(frame["submittedAt"], utc=True)
        return frame

    def verify(self, result: Result | str) -> dict[str, Any]:
        """Check a result document against the gateway's audit log: ``{"valid": bool,
        "problems": [...], ...}``. Send it exactly as received (``result.text`` or a saved file's
        text); any change to a value makes it invalid."""
        text = result.text if isinstance(result, Result) else result
        return self._request(
            "POST", "/v1/receipts/verify", content=text.encode(), headers={"Content-Type": "application/json"}
        ).json()

    # Plumbing

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<modelgate.Gateway {self.url}>"

    def _job_document(self, job_id: str) -> tuple[dict[str, Any], str]:
        answer = self._request("GET", f"/v1/jobs/{_segment(job_id)}")
        return answer.json(), answer.text

    def _get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params).json()

    def _request(self, method: str, path: str, **arguments: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                answer = self._client.request(method, path, **arguments)
                break
            except httpx.TransportError as error:
                if attempt == self.retries:
                    raise ConnectionFailed(f"could not reach the gateway at {self.url}: {error}") from error
        if answer.status_code >= 400:
            raise _error(answer)
        if answer.status_code >= 300:
            # Not followed: the token would go with it to wherever it points.
            raise GatewayError(
                f"the gateway at {self.url} redirects to {answer.headers.get('Location', 'elsewhere')}; "
                "use that address (redirects are not followed, so that your token goes only where you sent it)",
                status=answer.status_code,
                code="redirected",
            )
        return answer


def _error(answer: httpx.Response) -> GatewayError:
    """The server's error document as an exception of the matching kind."""
    try:
        error = answer.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{answer.status_code}", answer.text.strip() or answer.reason_phrase
    status = answer.status_code
    if status in (401, 403):
        return AuthError(message, status=status, code=code)
    if status == 404:
        return NotFound(message, status=status, code=code)
    if status in (429, 503):
        after = answer.headers.get("Retry-After")
        return Busy(message, status=status, code=code, retry_after=float(after) if after else None)
    if status == 400 and code in ("invalid_spec", "spec_too_large", "unknown_model"):
        return InvalidSpec(message, status=status, code=code)
    return GatewayError(message, status=status, code=code)


def _spec_body(spec: Spec, label: str | None) -> tuple[bytes, str]:
    """A spec as a request body and its content type."""
    if isinstance(spec, pathlib.Path) or (isinstance(spec, str) and _looks_like_path(spec)):
        path = pathlib.Path(spec)
        text = path.read_text(encoding="utf-8")
        if label is None:
            return text.encode(), "application/json" if path.suffix == ".json" else "application/yaml"
        spec = text
    if isinstance(spec, str):
        if label is None:
            return spec.encode(), "application/yaml"
        # A label over text: read it as JSON if it is, else add it as the last key of a block
        # YAML mapping (a spec with a label already is an error the gateway names). A JSON
        # string is a YAML double-quoted scalar, so the label cannot leave its line.
        try:
            spec = json.loads(spec)
        except ValueError:
            quoted = json.dumps(label, ensure_ascii=False)
            return (spec.rstrip("\n") + "\nlabel: " + quoted + "\n").encode(), "application/yaml"
    document = dict(spec)
    if label is not None:
        document["label"] = label
    return json.dumps(document).encode(), "application/json"


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and text.endswith((".yaml", ".yml", ".json")) and os.path.exists(text)


def _segment(text: str) -> str:
    """A path segment: an id with anything but letters, digits, '-', '_' and '.' refused."""
    if not text or not all(c.isalnum() or c in "-_." for c in text):
        raise ValueError(f"{text!r} is not a dataset or job id")
    return text
