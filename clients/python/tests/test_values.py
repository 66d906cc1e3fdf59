"""The client's DataFrames hold what the gateway computed, checked against pandas and numpy on
the demo's raw rows: an independent computation of every released figure."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from modelgate import Gateway, NotReleased

THRESHOLD = 10  # policies/household-survey.yaml: disclosure.threshold


def test_a_count_table_is_the_groupby_count_with_small_cells_withheld(gateway: Gateway, server) -> None:
    result = gateway.run({"model": "crosstab", "dataset": "household-survey", "rows": ["district"], "columns": ["sex"]})
    assert result.status == "released"
    cells = result.to_pandas()
    assert list(cells.index.names) == ["district", "sex"]

    raw = server.data()
    expected = raw.groupby(["district", "sex"]).size()
    full = pd.MultiIndex.from_product([sorted(raw["district"].unique()), sorted(raw["sex"].unique())])
    expected = expected.reindex(full, fill_value=0)
    assert len(cells) == len(expected)

    released = cells[~cells["suppressed"]]
    for (district, sex), row in released.iterrows():
        assert row["value"] == expected[(district, sex)], (district, sex)
    # Every cell under the threshold (empty ones included) is withheld; withheld ones are NaN.
    small = {key for key, count in expected.items() if count < THRESHOLD}
    withheld = {(c["district"], c["sex"]) for c in result.disclosure.withheld}
    assert small and small <= withheld
    assert cells.loc[list(withheld), "value"].isna().all()
    assert result.disclosure.verdict == "suppressed"
    assert result.disclosure.rules.loc["threshold", "outcome"] == "fail"
    assert "threshold" in result.disclosure.why

    # The wide layout keeps the declared level order.
    wide = cells["value"].unstack()
    assert list(wide.columns) == ["F", "M"]
    # Margins are recomputed from released cells only.
    totals = result.totals()
    grand = totals[totals["district"].isna() & totals["sex"].isna()]["value"].item()
    assert grand == released["value"].sum()


def test_a_mean_table_is_the_groupby_mean(gateway: Gateway, server) -> None:
    result = gateway.run(
        {"model": "crosstab", "dataset": "household-survey", "rows": ["sex"], "measure": "income", "statistic": "mean"}
    )
    cells = result.to_pandas()
    expected = server.data().groupby("sex")["income"].mean()
    for sex, value in expected.items():
        assert cells.loc[sex, "value"] == pytest.approx(value, rel=1e-12)


def test_a_summary_matches_pandas_and_the_documented_quantiles(gateway: Gateway, server) -> None:
    result = gateway.run(server.repository / "models" / "income-summary-over-65.yaml")
    frame = result.to_pandas()
    rows = server.data().query("age >= 65")
    for variable in ["income", "hospital_visits"]:
        values = rows[variable]
        assert frame.loc[variable, "n"] == len(values)
        assert frame.loc[variable, "mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert frame.loc[variable, "std"] == pytest.approx(values.std(ddof=1), rel=1e-9)
        # A released quantile is the mean of the 10 order statistics centred nearest the
        # type-7 position (README, "Outputs"): never one person's value.
        ordered = np.sort(values.to_numpy())
        for name, q in [("q1", 0.25), ("median", 0.5), ("q3", 0.75)]:
            centre = q * (len(ordered) - 1) - 4.5
            start = min(max(int(math.floor(abs(centre) + 0.5)) * (1 if centre >= 0 else -1), 0), len(ordered) - 10)
            assert frame.loc[variable, name] == pytest.approx(ordered[start : start + 10].mean(), rel=1e-12)


def test_a_histogram_is_numpys_with_half_open_labels(gateway: Gateway, server) -> None:
    edges = [16, 30, 45, 65, 90]
    result = gateway.run({"model": "histogram", "dataset": "household-survey", "variable": "age", "edges": edges})
    bins = result.to_pandas()
    counts, _ = np.histogram(server.data()["age"], bins=edges)
    assert list(bins["count"]) == list(counts)
    assert list(bins.index) == ["[16, 30)", "[30, 45)", "[45, 65)", "[65, 90]"]
    assert list(bins["lower"]) == edges[:-1] and list(bins["upper"]) == edges[1:]


def test_a_histogram_with_edges_inside_the_range_has_open_outer_bins(gateway: Gateway, server) -> None:
    result = gateway.run({"model": "histogram", "dataset": "household-survey", "variable": "age", "edges": [30, 60]})
    bins = result.to_pandas()
    age = server.data()["age"]
    assert list(bins.index) == ["(-∞, 30)", "[30, 60]", "(60, ∞)"]
    assert list(bins["count"]) == [(age < 30).sum(), ((age >= 30) & (age <= 60)).sum(), (age > 60).sum()]


def test_a_linear_regression_is_least_squares_with_textbook_errors(gateway: Gateway, server) -> None:
    result = gateway.run(server.repository / "models" / "income-regression.yaml")
    table = result.to_pandas()
    raw = server.data()
    # The design matrix from the released term names: "x=level" is an indicator, "x" the column.
    columns = []
    for term in table.index:
        if term == "(intercept)":
            columns.append(np.ones(len(raw)))
        elif "=" in term:
            name, level = term.split("=", 1)
            columns.append((raw[name].astype(str) == level).to_numpy(float))
        else:
            columns.append(raw[term].to_numpy(float))
    x, y = np.column_stack(columns), raw["income"].to_numpy(float)
    beta, residuals, *_ = np.linalg.lstsq(x, y, rcond=None)
    n, p = x.shape
    sigma2 = residuals[0] / (n - p)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))
    np.testing.assert_allclose(table["estimate"], beta, rtol=1e-8)
    np.testing.assert_allclose(table["std_error"], se, rtol=1e-6)
    assert table.attrs["nObservations"] == n and table.attrs["degreesOfFreedom"] == n - p
    # 95 % interval: estimate ∓ t(0.975, n − p) · se; t from its Cornish–Fisher expansion,
    # within 1e-9 of the exact quantile at this many degrees of freedom.
    z, df = NormalDist().inv_cdf(0.975), n - p
    t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    np.testing.assert_allclose(table["ci95_low"], beta - t * se, rtol=1e-7)
    np.testing.assert_allclose(table["ci95_high"], beta + t * se, rtol=1e-7)


def test_a_dp_regression_gives_noise_bounds_not_textbook_errors(gateway: Gateway, server) -> None:
    result = gateway.run(server.repository / "models" / "dp" / "regression-visits-on-age.yaml")
    table = result.to_pandas()
    assert list(table.columns) == ["estimate", "noise95"]
    assert result.disclosure is None
    assert result.privacy["mode"] == "dp" and result.privacy["epsilon"] == "0.5"
    # The noisy slope is near the exact one on the clamped data (noise95 is its 95 % bound;
    # five of them make a failure here a one-in-millions event, not a flaky test).
    raw = server.data("household-survey-dp")
    visits = raw["hospital_visits"].clip(0, 10)
    slope = np.polyfit(raw["age"], visits, 1)[0]
    assert abs(table.loc["age", "estimate"] - slope) < 5 * table.loc["age", "noise95"]


def test_a_refusal_is_a_result_with_its_reason(gateway: Gateway, server) -> None:
    result = gateway.run(server.repository / "models" / "refused-identifier.yaml")
    assert result.status == "refused" and not result.released
    assert result.reason.code == "column_not_allowed"
    assert "identifier" in result.reason.message
    assert result.spec["rows"] == ["person_id"]
    assert result.receipt is not None  # refusals are in the audit log too
    with pytest.raises(NotReleased, match="column_not_allowed"):
        result.to_pandas()


def test_text_quoted_back_from_a_spec_cannot_drive_a_terminal(gateway: Gateway) -> None:
    result = gateway.run(
        {"model": "crosstab", "dataset": "household-survey", "rows": ["x\x1b]0;pwned\x07\x1b[2J"]}, progress=False
    )
    assert result.status == "refused" and result.reason.code == "unknown_column"
    shown = str(result) + str(result.reason)
    assert "\x1b" not in shown and "\x07" not in shown and "\ufffd" in shown
