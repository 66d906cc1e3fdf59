"""A researcher's session: the codebook, submitting and following jobs, finding them again,
checking a result against the audit log, and the errors that are exceptions."""

from __future__ import annotations

import io
import json

import httpx
import pytest
import yaml

from modelgate import AuthError, ConnectionFailed, Gateway, GatewayError, InvalidSpec, NotFound, Result


def test_the_catalog_and_codebook_say_what_the_policy_says(gateway: Gateway, server) -> None:
    catalog = gateway.catalog()
    assert {"household-survey", "household-survey-dp"} <= set(catalog.index)

    policy = yaml.safe_load((server.repository / "policies" / "household-survey.yaml").read_text())
    codebook = gateway.codebook("household-survey")
    assert list(codebook.index) == list(policy["columns"])
    assert codebook.attrs["models"] == policy["models"]
    assert codebook.attrs["citation"] == policy["dataset"]["citation"]
    for name, column in policy["columns"].items():
        row = codebook.loc[name]
        assert row["class"] == column["class"] and row["type"] == column["type"]
        for key in ("description", "unit", "min", "max"):
            if key in column:
                assert row[key] == column[key], (name, key)
    # What each class may do (README, "A policy"): identifiers nothing, sensitive columns are
    # measured but never group or filter rows.
    assert codebook.loc["person_id", "uses"] == []
    assert "group" not in codebook.loc["income", "uses"] and "measure" in codebook.loc["income", "uses"]
    assert {"group", "filter"} <= set(codebook.loc["district", "uses"])
    # No levels were declared, so none are shown (never levels taken from the data).
    assert codebook["levels"].isna().all()


def test_a_submitted_job_is_followed_with_a_progress_line(gateway: Gateway) -> None:
    job = gateway.submit({"model": "histogram", "dataset": "household-survey", "variable": "age", "bins": 5})
    assert job.status in ("queued", "running", "released")
    progress = io.StringIO()
    result = job.wait(timeout=60, progress=progress)
    assert result.status == "released" and result.job == job.id
    assert f"job {job.id[:8]} released after" in progress.getvalue()
    assert job.done


def test_a_result_fetched_again_is_the_same_document_and_verifies(gateway: Gateway, server) -> None:
    label = "table 2 of the paper"
    result = gateway.run(
        {"model": "crosstab", "dataset": "household-survey", "rows": ["sex"], "where": [
            {"column": "age", "op": ">=", "value": 30}]},
        label=label,
        progress=False,
    )
    # The document carries the spec that produced it (filters and defaults included), the
    # dataset's version and citation, and its receipt.
    assert result.spec["where"] == [{"column": "age", "op": ">=", "value": ["30"]}]
    assert result.spec["statistic"] == "count" and result.label == label
    assert result.dataset.version and result.citation.startswith("Synthetic household survey")
    assert result.receipt.index > 0 and len(result.receipt.hash) == 64

    again = gateway.job(result.job).result()
    assert again.document == result.document

    listed = gateway.jobs(limit=20)
    assert listed.loc[result.job, "label"] == label and listed.loc[result.job, "model"] == "crosstab"

    # Anyone holding the document can check it against the log, with another role's token.
    with Gateway(server.url, server.tokens["auditor"]) as auditor:
        check = auditor.verify(result)
    assert check["valid"] is True, check["problems"]
    # A saved copy verifies as well; one count changed by one does not.
    assert gateway.verify(Result.from_json(result.text))["valid"] is True
    forged = json.loads(result.text)
    forged["result"]["cells"][0]["value"] += 1
    check = gateway.verify(json.dumps(forged))
    assert check["valid"] is False and check["problems"]


def test_a_retried_submission_with_the_same_key_is_the_same_job(gateway: Gateway) -> None:
    spec = {"model": "summary", "dataset": "household-survey", "variables": ["age"]}
    first = gateway.submit(spec, idempotency_key="python-test-retry-1").wait(progress=False)
    second = gateway.submit(spec, idempotency_key="python-test-retry-1").wait(progress=False)
    assert second.job == first.job
    assert second.to_pandas().equals(first.to_pandas())


def test_a_key_reused_for_another_spec_is_an_error_on_wait(gateway: Gateway) -> None:
    gateway.submit({"model": "summary", "dataset": "household-survey", "variables": ["age"]},
                   idempotency_key="python-test-reuse").wait(progress=False)
    reused = gateway.submit({"model": "summary", "dataset": "household-survey", "variables": ["income"]},
                            idempotency_key="python-test-reuse")
    with pytest.raises(GatewayError) as error:
        reused.wait(timeout=60, progress=False)
    assert error.value.code == "idempotency_key_reused"


def test_a_redirect_is_not_followed_with_the_token() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://elsewhere.example/v1/datasets"})

    with pytest.raises(GatewayError) as error, Gateway(
        "http://gateway.example", "mg_secret", transport=httpx.MockTransport(answer)
    ) as gw:
        gw.catalog()
    assert error.value.code == "redirected" and "elsewhere.example" in error.value.message
    assert seen == ["http://gateway.example/v1/datasets"]


def test_what_is_not_a_decision_is_an_exception_with_the_servers_message(gateway: Gateway, server) -> None:
    with pytest.raises(InvalidSpec) as unreadable:
        gateway.submit({"model": "crosstab", "datset": "household-survey"})
    assert unreadable.value.code == "invalid_spec" and "unknown key 'datset'" in unreadable.value.message

    with pytest.raises(NotFound):
        gateway.submit({"model": "summary", "dataset": "no-such-dataset", "variables": ["age"]})
    with pytest.raises(NotFound):
        gateway.job("00000000-0000-0000-0000-000000000000")

    with pytest.raises(AuthError) as unknown, Gateway(server.url, "mg_000000000000_" + "0" * 64) as stranger:
        stranger.catalog()
    assert unknown.value.status == 401 and unknown.value.message

    # A role that may not run jobs: the server says which.
    with pytest.raises(AuthError) as forbidden, Gateway(server.url, server.tokens["auditor"]) as auditor:
        auditor.submit({"model": "summary", "dataset": "household-survey", "variables": ["age"]})
    assert forbidden.value.status == 403 and "auditor" in forbidden.value.message

    with pytest.raises(ConnectionFailed, match="could not reach"), Gateway(
        "http://127.0.0.1:9", "mg_x", retries=0
    ) as nowhere:
        nowhere.catalog()
