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
    read = pd.read_csv(io.StringIO(table.to_csv()), index_col=0)
    cells = table.to_pandas().reset_index()
    assert list(read.columns) == ["district", "sex", "value", "suppressed"]
    assert read["value"].isna().sum() == len(table.disclosure.withheld) > 0
    pd.testing.assert_series_equal(read["value"], cells["value"], check_names=False)


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
