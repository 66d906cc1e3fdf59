"""Result documents as pandas DataFrames, one function per kind of output.

Each takes the document's ``result`` object (JSON as the gateway sent it) and gives a DataFrame
whose index names what a row is (a cell's levels, a bin, a variable, a term). Withheld values are
``NaN`` with ``suppressed`` set, never zero.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import pandas as pd


def table(result: Mapping[str, Any]) -> pd.DataFrame:
    """A crosstab's cells: indexed by its dimensions' levels in the order the gateway declares
    them; columns ``value`` (whole numbers for counts; withheld ones <NA>) and ``suppressed``.
    ``.unstack()`` gives the wide table."""
    names = [d["name"] for d in result["dimensions"]]
    frame = _cells(result["cells"], names, [d["levels"] for d in result["dimensions"]])
    if result.get("statistic") == "count":
        frame["value"] = frame["value"].astype("Int64")
    return frame


def totals(result: Mapping[str, Any]) -> pd.DataFrame:
    """A crosstab's margins (each recomputed by the gateway from released cells only): one row
    per margin, its levels in the dimension columns (``None`` where it sums over a dimension)."""
    names = [d["name"] for d in result["dimensions"]]
    rows = [
        {**{n: t["keys"].get(n) for n in names}, "value": _number(t.get("value")), "suppressed": t["suppressed"]}
        for t in result["totals"]
    ]
    frame = pd.DataFrame(rows, columns=[*names, "value", "suppressed"])
    if result.get("statistic") == "count":
        frame["value"] = frame["value"].astype("Int64")
    return frame


def _cells(cells: Sequence[Mapping[str, Any]], names: list[str], levels: list[list[str]]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([tuple(c["keys"][n] for n in names) for c in cells], names=names)
    frame = pd.DataFrame(
        {"value": [_number(c.get("value")) for c in cells], "suppressed": [bool(c["suppressed"]) for c in cells]},
        index=index,
    )
    # Keep the declared order of levels (not alphabetical) when the frame is sorted or unstacked.
    for position, (name, declared) in enumerate(zip(names, levels)):
        frame.index = frame.index.set_levels(
            pd.CategoricalIndex(frame.index.levels[position], categories=declared, ordered=True), level=position
        )
    if len(names) == 1:
        frame.index = frame.index.get_level_values(0)
    return frame


def histogram(result: Mapping[str, Any]) -> pd.DataFrame:
    """A histogram's bins in order: ``bin`` (its label, half-open except the last bin inside the
    edges, which holds its upper edge), ``lower``, ``upper`` (``-inf``/``inf`` for the bins
    outside the edges), ``count`` and ``suppressed``."""
    bins = result["bins"]
    rows = []
    for position, b in enumerate(bins):
        lower = -math.inf if b.get("lower") is None else float(b["lower"])
        upper = math.inf if b.get("upper") is None else float(b["upper"])
        last_inside = b.get("upper") is not None and all(later.get("upper") is None for later in bins[position + 1 :])
        opening = "(" if b.get("upper") is None or b.get("lower") is None else "["
        label = f"{opening}{_edge(lower)}, {_edge(upper)}{']' if last_inside else ')'}"
        rows.append(
            {
                "bin": label,
                "lower": lower,
                "upper": upper,
                "count": _number(b.get("count")),
                "suppressed": bool(b["suppressed"]),
            }
        )
    frame = pd.DataFrame(rows, columns=["bin", "lower", "upper", "count", "suppressed"])
    frame["count"] = frame["count"].astype("Int64")  # whole numbers; withheld ones <NA>
    return frame.set_index("bin")


def summary(result: Mapping[str, Any]) -> pd.DataFrame:
    """A summary: one row per variable; ``n``, ``mean``, ``std`` and, where released, ``q1``,
    ``median``, ``q3`` (each the mean of the ten values nearest the quantile)."""
    columns = ["n", "mean", "std", "q1", "median", "q3"]
    rows = {v["name"]: [_number(v.get(c)) for c in columns] for v in result["variables"]}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "variable"
    frame["n"] = frame["n"].astype("Int64")
    return frame.dropna(axis="columns", how="all")


def regression(result: Mapping[str, Any]) -> pd.DataFrame:
    """A regression's coefficient table: one row per term; ``estimate`` and, for exact
    datasets, ``std_error``, ``statistic``, ``p_value``, ``ci95_low``, ``ci95_high``; for
    datasets in privacy mode dp, ``noise95`` (the estimate is within it of the exact figures'
    answer 95 times in 100). The fit's own figures are in ``frame.attrs``."""
    names = {
        "estimate": "estimate",
        "stdError": "std_error",
        "statistic": "statistic",
        "pValue": "p_value",
        "ci95Low": "ci95_low",
        "ci95High": "ci95_high",
        "noise95": "noise95",
    }
    rows = {c["term"]: [_number(c.get(key)) for key in names] for c in result["coefficients"]}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(names.values()))
    frame.index.name = "term"
    frame = frame.dropna(axis="columns", how="all")
    frame.attrs.update(
        {
            key: result[key]
            for key in ("nObservations", "degreesOfFreedom", "rSquared", "adjustedRSquared", "logLikelihood")
            if key in result
        }
    )
    return frame


def _number(value: Any) -> float:
    """A JSON number, or NaN for a withheld (absent) one."""
    return math.nan if value is None else float(value)


def _edge(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return str(int(value)) if value.is_integer() else repr(value)
