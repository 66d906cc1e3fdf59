"""The web console as each role uses it, in a real browser, and the attacks it must stop."""

from __future__ import annotations

import os
import re
import subprocess

from conftest import REPOSITORY, Gateway, shoot, sign_in


def apply_for_summaries(gateway: Gateway, purpose: str) -> str:
    with gateway.api("researcher") as api:
        answer = api.post(
            "/v1/applications",
            json={
                "datasets": ["household-survey"], "models": ["summary"], "purpose": purpose,
                "scenario": "a console test", "safeguards": "none needed", "starts": "2026-01-01",
                "ends": "2030-01-01",
            },
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_each_role_signs_in_to_its_own_page_and_out(gateway: Gateway, new_page) -> None:
    for role, heading in [("owner", "data owner"), ("researcher", "researcher"), ("auditor", "Audit")]:
        page = sign_in(new_page(), gateway, role)
        assert heading in page.inner_text("h1")
        shoot(page, f"home-{role}")
        # The browser holds a session id, never the token.
        cookies = page.context.cookies()
        assert [c["name"] for c in cookies] == ["modelgate_session"]
        assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
        assert all(token not in cookies[0]["value"] for token in gateway.tokens.values())
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/console")
        page.goto(f"{gateway.url}/console/home")
        assert "Sign in" in page.inner_text("h1")


def test_a_wrong_token_is_refused(gateway: Gateway, new_page) -> None:
    page = new_page()
    page.goto(f"{gateway.url}/console")
    page.fill("input[name=token]", "mg_000000000000_" + "0" * 64)
    page.click("button:has-text('Sign in')")
    assert "not valid" in page.inner_text(".error")
    assert page.context.cookies() == [] or all(c["name"] != "modelgate_session" for c in page.context.cookies())


def test_an_owner_approves_an_application(gateway: Gateway, new_page) -> None:
    application = apply_for_summaries(gateway, "approval from the console")
    page = sign_in(new_page(), gateway, "owner")
    row = page.locator("tr", has_text=application)
    assert "pending" in row.inner_text()
    shoot(page, "owner-pending-application")
    row.locator("button", has_text=re.compile("^Approve$")).click()
    page.wait_for_url("**/console/home")
    assert "Done: the application approved" in page.inner_text(".message")
    with gateway.api("auditor") as api:
        decided = api.get(f"/v1/applications/{application}").json()
    assert decided["status"] == "approved" and decided["agreement"]


def test_an_owner_suspends_and_resumes_a_dataset_and_researchers_see_no_reason(gateway: Gateway, new_page) -> None:
    owner = sign_in(new_page(), gateway, "owner")
    row = owner.locator("tr", has=owner.locator("td:first-child", has_text=re.compile("^household-survey-dp$")))
    row.locator("form", has_text="Suspend").locator("input[name=reason]").fill("a resident objected")
    row.locator("button:has-text('Suspend')").click()
    owner.wait_for_url("**/console/home")
    row = owner.locator("tr", has=owner.locator("td:first-child", has_text=re.compile("^household-survey-dp$")))
    assert "suspended" in row.inner_text() and "a resident objected" in row.inner_text()
    shoot(owner, "owner-suspended")

    researcher = sign_in(new_page(), gateway, "researcher")
    assert "a resident objected" not in researcher.content()
    with gateway.api("researcher") as api:
        assert "a resident objected" not in api.get("/v1/datasets").text

    row.locator("form", has_text="Resume").locator("input[name=reason]").fill("the objection was resolved")
    row.locator("button:has-text('Resume')").click()
    owner.wait_for_url("**/console/home")
    assert "open" in owner.locator("tr", has=owner.locator("td:first-child", has_text=re.compile("^household-survey-dp$"))).inner_text()


def test_a_doubt_is_filed_and_answered_in_the_console(gateway: Gateway, new_page) -> None:
    researcher = sign_in(new_page(), gateway, "researcher")
    researcher.select_option("select[name=dataset]", "household-survey")
    researcher.fill("input[name=column]", "income")
    # Two lines: the browser sends the text area's line break as CR LF.
    researcher.fill("textarea[name=description]", "Incomes in Chengkou look ten times too high\nsee table 3 of 2025")
    researcher.click("button:has-text('File the doubt')")
    researcher.wait_for_url("**/console/home")
    assert "your doubt was filed" in researcher.inner_text(".message")
    shoot(researcher, "researcher-doubt-filed")

    owner = sign_in(new_page(), gateway, "owner")
    row = owner.locator("tr", has_text="Chengkou look ten times")
    assert re.search(r"\d{4}-\d\d-\d\dT", row.inner_text())  # its due time
    row.locator("select[name=confirmed]").select_option("false")
    row.locator("input[name=reason]").fill("checked against the tax records")
    row.locator("button:has-text('Answer')").click()
    owner.wait_for_url("**/console/home")
    shoot(owner, "owner-doubt-answered")

    researcher.reload()
    assert "checked against the tax records" in researcher.locator("tr", has_text="Chengkou").inner_text()


def test_the_auditor_sees_the_chain_the_chart_and_downloads(gateway: Gateway, new_page) -> None:
    with gateway.api("researcher") as api:
        for spec in ["model: summary\ndataset: household-survey\nvariables: [age]",
                     "model: crosstab\ndataset: household-survey\nrows: [person_id]"]:
            api.post("/v1/jobs", content=spec)
    page = sign_in(new_page(), gateway, "auditor")
    assert "Intact" in page.inner_text("main")
    chart = page.locator("svg[aria-label='jobs per month by status'] rect")
    assert chart.count() >= 2  # bars and legend
    per_dataset = page.locator("svg[aria-label='jobs per dataset by status'] text", has_text="household-survey")
    assert per_dataset.count() >= 1
    assert page.locator("svg[aria-label='refusals and failures by reason'] title", has_text="column_not_allowed").count() == 1
    shoot(page, "auditor-home")
    events = page.request.get(f"{gateway.url}/console/events.csv?kind=job_refused")
    assert events.status == 200 and events.text().startswith("index,at,kind")
    assert all(",job_refused," in line for line in events.text().splitlines()[1:])
    report = page.request.get(f"{gateway.url}/console/report.csv")
    assert report.status == 200 and "released" in report.text()
    # Filtered events, as the form asks.
    page.fill("input[name=kind]", "data_doubt_filed")
    page.click("button:has-text('Filter')")
    kinds = {cell.strip() for cell in page.locator("table").nth(0).locator("td:nth-child(3)").all_inner_texts()}
    assert kinds <= {"data_doubt_filed"}


def test_a_researcher_cannot_use_owner_forms(gateway: Gateway, new_page) -> None:
    page = sign_in(new_page(), gateway, "researcher")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(
        f"{gateway.url}/console/datasets/household-survey/suspend", form={"csrf": csrf, "reason": "mine now"})
    assert answer.status == 403
    with gateway.api("auditor") as api:
        assert api.get("/v1/datasets/household-survey").json()["state"] == "open"
    # The auditor's downloads are not the researcher's either.
    assert page.request.get(f"{gateway.url}/console/events.csv").status == 403


def test_a_form_without_its_csrf_token_is_refused(gateway: Gateway, new_page) -> None:
    page = sign_in(new_page(), gateway, "owner")
    for form in [{"reason": "forged"}, {"reason": "forged", "csrf": "0" * 64}]:
        answer = page.request.post(f"{gateway.url}/console/datasets/household-survey/suspend", form=form)
        assert answer.status == 403 and "CSRF" in answer.text()
    with gateway.api("auditor") as api:
        assert api.get("/v1/datasets/household-survey").json()["state"] == "open"


def test_no_page_holds_a_token(gateway: Gateway, new_page) -> None:
    for role in ["owner", "researcher", "auditor", "admin"]:
        page = new_page()
        page.goto(f"{gateway.url}/console")
        page.fill("input[name=token]", gateway.tokens[role])
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state()
        html = page.content()
        for token in gateway.tokens.values():
            assert token not in html and token[:28] not in html, role
        shoot(page, f"tokens-{role}")


def test_rotating_a_token_ends_its_console_sessions(gateway: Gateway, new_page) -> None:
    binary = os.environ.get("MODELGATE_BIN", str(REPOSITORY / ".build" / "debug" / "modelgate"))
    added = subprocess.run(
        [binary, "principal", "add", "--role", "researcher", "--name", "rotator", "--state", str(gateway.state)],
        capture_output=True, text=True, check=True)
    token = re.search(r"mg_[0-9a-f]+_[0-9a-f]+", added.stdout).group(0)
    page = new_page()
    page.goto(f"{gateway.url}/console")
    page.fill("input[name=token]", token)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/console/home")
    subprocess.run([binary, "principal", "rotate", "rotator", "--state", str(gateway.state)], check=True,
                   capture_output=True)
    page.goto(f"{gateway.url}/console/home")
    assert "Sign in" in page.inner_text("h1")


def test_an_owner_suspends_and_resumes_an_agreement_and_reads_its_policies(gateway: Gateway, new_page) -> None:
    page = sign_in(new_page(), gateway, "owner")
    with gateway.api("researcher") as api:
        # The demo's agreement: the only one that allows crosstabs (another test adds one for summaries).
        agreement = next(a["id"] for a in api.get("/v1/me").json()["agreements"] if "crosstab" in a["models"])
    row = page.locator("tr", has=page.locator("td:first-child", has_text=re.compile(f"^{agreement}$")))
    row.locator("form", has_text="Suspend").locator("input[name=reason]").fill("misuse reported")
    row.locator("button:has-text('Suspend')").click()
    page.wait_for_url("**/console/home")
    with gateway.api("researcher") as api:
        refused = api.post("/v1/jobs", content="model: crosstab\ndataset: household-survey\nrows: [sex]").json()
        assert refused["reason"]["code"] == "agreement_suspended"
    row = page.locator("tr", has=page.locator("td:first-child", has_text=re.compile(f"^{agreement}$")))
    row.locator("form", has_text="Resume").locator("input[name=reason]").fill("cleared")
    row.locator("button:has-text('Resume')").click()
    page.wait_for_url("**/console/home")
    assert "active" in page.locator("tr", has=page.locator("td:first-child", has_text=re.compile(f"^{agreement}$"))).inner_text()
    # The policy in force is on the page, as loaded.
    policy = page.locator("details", has=page.locator("summary", has_text="The policy in force")).first
    policy.locator("summary").click()
    assert "Household income survey (synthetic)" in policy.inner_text()
    shoot(page, "owner-agreements-and-policies")


def test_an_owner_approves_with_conditions(gateway: Gateway, new_page) -> None:
    application = apply_for_summaries(gateway, "a conditional approval")
    page = sign_in(new_page(), gateway, "owner")
    row = page.locator("tr", has=page.locator("td:first-child", has_text=re.compile(f"^{application}$")))
    row.locator("summary:has-text('Approve with conditions')").click()
    form = row.locator("form", has_text="Approve with these conditions")
    form.locator("input[name=ends]").fill("2028-06-30")
    form.locator("input[name=reason]").fill("a shorter period is enough for this study")
    shoot(page, "owner-conditional-approval")
    form.locator("button:has-text('Approve with these conditions')").click()
    page.wait_for_url("**/console/home")
    assert "Done: the application approved" in page.inner_text(".message")
    with gateway.api("auditor") as api:
        agreement = api.get(f"/v1/agreements/{api.get(f'/v1/applications/{application}').json()['agreement']}").json()
    assert agreement["expires"] == "2028-06-30T00:00:00.000Z" and agreement["models"] == ["summary"]
