"""What a researcher takes away: CSV, LaTeX for the paper, a plot, and the example script."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import matplotlib
import pandas as pd
import pytest

from modelgate import Gateway

matplotlib.use("Agg")

TABLE = {"model": "crosstab", "dataset": "household-survey", "rows": ["district"], "columns": ["sex"]}


@pytest.fixture(scope="module")
def table(gateway: Gateway):
    return gateway.run(TABLE, label="households by district and sex", progress=False)


def test_csv_round_trips_with_withheld_cells_empty(table) -> None:
    text = table.to_csv()
    read = pd.read_csv(io.StringIO(text))
    cells = table.to_pandas().reset_index()
    assert text.splitlines()[0] == "district,sex,value,suppressed"
    assert "239," in text and "239.0" not in text  # counts are whole numbers
    assert read["value"].isna().sum() == len(table.disclosure.withheld) > 0
    pd.testing.assert_series_equal(read["value"], cells["value"], check_names=False, check_dtype=False)


@pytest.mark.parametrize(
    "spec",
    ["count-by-district-and-sex.yaml", "age-histogram.yaml", "income-summary-over-65.yaml",
     "income-regression.yaml", "dp/regression-visits-on-age.yaml"],
)
def test_the_clients_csv_is_the_command_lines(gateway: Gateway, server, spec: str) -> None:
    result = gateway.run(server.repository / "models" / spec, progress=False)
    run = subprocess.run(
        [os.environ.get("MODELGATE_BIN", str(server.repository / ".build/debug/modelgate")), "jobs", "show",
         result.job, "--format", "csv"],
        env={**os.environ, "MODELGATE_URL": server.url, "MODELGATE_TOKEN": server.tokens["researcher"]},
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == result.to_csv()


def test_latex_escapes_what_latex_would_read_as_commands(gateway: Gateway, server) -> None:
    result = gateway.run(
        server.repository / "models" / "income-summary-over-65.yaml", label="income & visits: 100% #1", progress=False
    )
    latex = result.to_latex()
    assert r"\caption{income \& visits: 100\% \#1. Source:" in latex
    assert r"hospital\_visits" in latex and "hospital_visits" not in latex


def test_latex_is_captioned_with_label_and_citation(table) -> None:
    latex = table.to_latex()
    assert "\\caption{households by district and sex. Source: Synthetic household survey" in latex
    assert table.dataset.version[:12] in latex
    rows = [line for line in latex.splitlines() if line.rstrip().endswith("\\\\") and " & " in line]
    assert len(rows) == 1 + len(table.to_pandas())  # the header, then one line per cell
    assert sum("--" in line for line in rows) == len(table.disclosure.withheld)


def test_a_histogram_plots_one_bar_per_bin_inside_the_edges(gateway: Gateway) -> None:
    result = gateway.run(
        {"model": "histogram", "dataset": "household-survey", "variable": "age", "edges": [30, 45, 60]},
        progress=False,
    )
    ax = result.plot()
    bars = ax.patches
    bins = result.to_pandas()
    inside = bins.iloc[1:-1]  # the two bins outside the edges have no width to draw
    assert [b.get_height() for b in bars] == list(inside["count"])
    assert [b.get_x() for b in bars] == list(inside["lower"])
    assert "Synthetic household survey" in ax.texts[0].get_text()


def test_a_two_way_table_plots_grouped_bars(table) -> None:
    ax = table.plot()
    released = table.to_pandas()["value"].dropna()
    heights = sorted(b.get_height() for b in ax.patches if b.get_height() == b.get_height() and b.get_height() > 0)
    assert heights == sorted(released)
    assert "withheld" in ax.get_title()


def test_the_example_script_runs(server) -> None:
    example = server.repository / "clients" / "python" / "examples" / "first_session.py"
    environment = {**os.environ, "MODELGATE_URL": server.url, "MODELGATE_TOKEN": server.tokens["researcher"]}
    run = subprocess.run([sys.executable, str(example)], env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "receipt valid: True" in run.stdout
    assert "Source: Synthetic household survey" in run.stdout
