"""A result document: what a job gave back, exactly as the gateway recorded it."""

from __future__ import annotations

import html
import json
import math
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from . import frames
from .errors import NotReleased

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class Reason:
    """Why a job was refused or failed: a stable ``code`` (e.g. ``column_not_allowed``,
    ``privacy_budget_exhausted``) and a ``message`` that says what to change."""

    code: str
    message: str

    def __str__(self) -> str:
        return printable(f"{self.code}: {self.message}")


@dataclass(frozen=True)
class Receipt:
    """Where the job's record sits in the gateway's hash-chained audit log: the event's
    ``index`` and ``hash``. :meth:`modelgate.Gateway.verify` checks a result against it."""

    index: int
    hash: str


@dataclass(frozen=True)
class DatasetRef:
    """The dataset a result came from: its ``id``, the ``version`` (a hash of its content) and
    the ``citation`` to give in a paper."""

    id: str
    version: str | None
    citation: str | None


@dataclass(frozen=True)
class Disclosure:
    """What the disclosure check did to the output.

    ``verdict`` is ``pass`` (released whole), ``suppressed`` (some cells withheld) or ``refused``.
    ``rules`` lists every rule applied with its outcome and how many cells it hit. ``withheld``
    names each withheld cell or bin by its levels. The gateway does not say which rule withheld
    which cell: "too small" or "withheld to protect another" would narrow down its value.
    """

    verdict: str
    rules: pd.DataFrame
    withheld: list[dict[str, Any]]

    @property
    def why(self) -> str:
        """The rules that withheld cells, in words."""
        failed = self.rules[self.rules["outcome"] == "fail"]
        if failed.empty:
            return "nothing was withheld"
        lines = [f"{len(self.withheld)} withheld; the rules that hit cells:"]
        lines += [f"  {rule}: {row.cells} cell(s); {row.detail}" for rule, row in failed.iterrows()]
        return "\n".join(lines)


class Result:
    """What a job gave back: its status, the released values (as DataFrames), how disclosure
    control and privacy protected them, the spec that produced them, the dataset's citation and
    the receipt that ties it to the audit log.

    A refusal is a result too: ``status == "refused"`` with a :class:`Reason`.
    """

    def __init__(self, document: Mapping[str, Any], text: str | None = None) -> None:
        self.document: dict[str, Any] = dict(document)
        #: The document as the gateway sent it, for :meth:`Gateway.verify` and your records.
        self.text: str = text if text is not None else json.dumps(document, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Result:
        """A result saved earlier with :meth:`save` (or ``.text``)."""
        return cls(json.loads(text), text)

    def save(self, path: str) -> None:
        """Keep the document exactly as received, so that it can be verified later."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.text)

    # What the job was

    @property
    def job(self) -> str:
        return str(self.document["job"])

    @property
    def status(self) -> str:
        """``released``, ``refused`` or ``failed``."""
        return str(self.document["status"])

    @property
    def released(self) -> bool:
        return self.status == "released"

    @property
    def model(self) -> str | None:
        return self.document.get("model")

    @property
    def spec(self) -> dict[str, Any]:
        """The normalised spec that produced this result (defaults and filters included)."""
        return dict(self.document.get("spec") or {})

    @property
    def label(self) -> str | None:
        return self.spec.get("label")

    @property
    def reason(self) -> Reason | None:
        """Why it was refused or failed; ``None`` when released."""
        reason = self.document.get("reason")
        return Reason(reason["code"], reason["message"]) if reason else None

    @property
    def dataset(self) -> DatasetRef | None:
        ref = self.document.get("dataset")
        return DatasetRef(ref["id"], ref.get("version"), ref.get("citation")) if ref else None

    @property
    def citation(self) -> str | None:
        """How to cite the data source, with the dataset's version."""
        ref = self.dataset
        if ref is None or ref.citation is None:
            return None
        return f"{ref.citation} (dataset {ref.id}, version {ref.version[:12]})" if ref.version else ref.citation

    @property
    def receipt(self) -> Receipt | None:
        receipt = self.document.get("receipt")
        return Receipt(int(receipt["index"]), str(receipt["hash"])) if receipt else None

    @property
    def privacy(self) -> dict[str, Any] | None:
        """For a dataset in privacy mode dp: ε spent, the mechanism and each noisy figure's scale
        and 95 % half-width. ``None`` for exact results."""
        return self.document.get("privacy")

    @property
    def usage(self) -> dict[str, Any] | None:
        return self.document.get("usage")

    @property
    def disclosure(self) -> Disclosure | None:
        """Which cells were withheld and by which rules; ``None`` for dp results (noise, not
        suppression, protects them) and for refusals before the check."""
        report = self.document.get("disclosure")
        if report is None:
            return None
        rules = pd.DataFrame(report["rules"], columns=["rule", "outcome", "cells", "detail"]).set_index("rule")
        return Disclosure(verdict=report["verdict"], rules=rules, withheld=self._withheld())

    def _withheld(self) -> list[dict[str, Any]]:
        output = self.document.get("result") or {}
        if "cells" in output:
            return [dict(c["keys"]) for c in output["cells"] if c["suppressed"]]
        if "bins" in output:
            bins = frames.histogram(output)
            return [{"bin": label} for label in bins.index[bins["suppressed"]]]
        return []

    # The values

    def to_pandas(self) -> pd.DataFrame:
        """The released values as a DataFrame: a table's cells (indexed by its dimensions; use
        ``.unstack()`` for the wide layout and :meth:`totals` for the margins), a histogram's
        bins, a summary's variables, or a regression's coefficient table. Withheld values are
        NaN. ``frame.attrs`` holds the job, the citation and (for regressions) the fit's figures.
        """
        output = self._output()
        if "cells" in output:
            frame = frames.table(output)
        elif "bins" in output:
            frame = frames.histogram(output)
        elif "coefficients" in output:
            frame = frames.regression(output)
        else:
            frame = frames.summary(output)
        frame.attrs.update({"job": self.job, "citation": self.citation, "model": self.model})
        return frame

    def totals(self) -> pd.DataFrame:
        """A table's margins, recomputed by the gateway from released cells only."""
        output = self._output()
        if "totals" not in output:
            raise ValueError(f"a {self.model} result has no totals; only tables do")
        return frames.totals(output)

    def to_csv(self, path: str | None = None) -> str | None:
        """The values as CSV, one row per cell, bin, variable or term (withheld ones empty,
        ``suppressed`` true), the same text ``modelgate jobs show --format csv`` prints (whole
        numbers without a decimal point, others in full): written to ``path``, or returned as
        text when no path is given."""
        return self._flat().map(_csv_field).to_csv(path, index=False)

    def to_latex(self, caption: str | None = None) -> str:
        """A LaTeX table of the values, captioned with the spec's label (or ``caption``) and
        noting the source as the citation asks; withheld values print as ``--``."""
        frame = self._flat()
        title = caption or self.label or f"{self.model} of {self.dataset.id if self.dataset else 'the dataset'}"
        source = f"Source: {self.citation}" if self.citation else ""
        return frame.to_latex(
            index=False,
            escape=True,  # names like hospital_visits, levels and labels with % or &
            caption=_latex_escape(f"{title}. {source}".strip()),
            label=f"tab:{self.job[:8]}",
            na_rep="--",
            float_format="%.6g",
        )

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw a histogram's bins, or a table's cells as bars (grouped by the first dimension
        when there are two); withheld values are left out and named in the title. Needs
        matplotlib: ``pip install 'modelgate-client[plot]'``."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:  # pragma: no cover - depends on what is installed
            raise ImportError("plotting needs matplotlib: pip install 'modelgate-client[plot]'") from error
        output = self._output()
        if ax is None:
            _, ax = plt.subplots()
        if "bins" in output:
            bins = frames.histogram(output)
            inside = bins[~bins["lower"].isin([float("-inf")]) & ~bins["upper"].isin([float("inf")])]
            ax.bar(
                inside["lower"],
                inside["count"].fillna(0),
                width=inside["upper"] - inside["lower"],
                align="edge",
                edgecolor="white",
            )
            ax.set_xlabel(output["variable"])
            ax.set_ylabel("count")
            withheld = int(bins["suppressed"].sum())
        elif "cells" in output:
            values = frames.table(output)
            withheld = int(values["suppressed"].sum())
            if values.index.nlevels == 2:
                values["value"].unstack().plot.bar(ax=ax)
            elif values.index.nlevels == 1:
                values["value"].plot.bar(ax=ax)
            else:
                raise ValueError("plot draws tables of one or two dimensions; use to_pandas() for three")
            ax.set_ylabel(output.get("statistic", "value") + (f" of {output['measure']}" if output.get("measure") else ""))
        else:
            raise ValueError(f"plot draws histograms and tables; a {self.model} is a table of figures: to_pandas()")
        title = self.label or self.model or ""
        ax.set_title(title + (f" ({withheld} withheld)" if withheld else ""))
        if self.citation:
            ax.annotate(
                f"Source: {self.citation}", xy=(0, -0.18), xycoords="axes fraction", fontsize="x-small", va="top"
            )
        return ax

    def _output(self) -> dict[str, Any]:
        if self.status != "released":
            raise NotReleased(f"job {self.job} was {self.status}: {self.reason}")
        return dict(self.document["result"])

    def _flat(self) -> pd.DataFrame:
        """The values with the index as plain columns (for CSV and LaTeX)."""
        frame = self.to_pandas().reset_index()
        if "cells" in self._output():
            frame[frame.columns[:-2]] = frame[frame.columns[:-2]].astype(str)
        return frame

    # Display

    def __repr__(self) -> str:
        head = f"<modelgate.Result {self.status} {self.model} job={self.job}"
        if self.reason:
            return f"{head} {self.reason.code}>"
        return head + ">"

    def __str__(self) -> str:
        lines = [f"{self.model} on {self.dataset.id if self.dataset else '?'}: {self.status}"]
        if self.reason:
            lines.append(str(self.reason))
        else:
            lines.append(self.to_pandas().to_string())
            if self.disclosure and self.disclosure.withheld:
                lines.append(self.disclosure.why)
        if self.citation:
            lines.append(f"Source: {self.citation}")
        # Every line: a refusal may quote the spec as sent, a level may come from the data.
        return "\n".join(printable(line) for part in lines for line in part.split("\n"))

    def _repr_html_(self) -> str:  # shown by notebooks
        if not self.released:
            return f"<p><b>{self.status}</b>: {html.escape(str(self.reason))}</p>"
        source = f"<p><small>Source: {html.escape(self.citation)}</small></p>" if self.citation else ""
        return self.to_pandas().to_html(na_rep="(withheld)") + source


def printable(text: str) -> str:
    """``text`` with each character that is not shown as itself (controls, line and paragraph
    separators, format characters such as a right-to-left override) replaced by U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def _csv_field(value: Any) -> str:
    """One value as the command line writes it: booleans in lower case, whole numbers without
    a decimal point, other numbers in their shortest exact form, missing ones empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _latex_escape(text: str) -> str:
    """Text for a LaTeX caption: its special characters written as themselves."""
    special = {
        "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    }
    return "".join(special.get(character, character) for character in text)


