#!/usr/bin/env python3
"""Side-by-side benchmark: modelgate against the tools a researcher would otherwise use.

Runs the same work, on the same machine, in one run, and prints each ratio
(modelgate time / anchor time; below 1.0 means modelgate is faster):

  ingest    modelgate ingest of the CSV        vs DuckDB CREATE TABLE AS read_csv (peak memory noted)
  crosstab  modelgate run crosstab.yaml        vs DuckDB GROUP BY on the loaded table
  ols       modelgate run ols.yaml             vs statsmodels OLS (formula API) and numpy lstsq
  logit     modelgate run logit.yaml           vs statsmodels Logit
  dp        the same rows under policies/household-survey-dp.yaml (privacy mode dp): a mean
            income by district x sex (clamped to 0-200,000) vs DuckDB GROUP BY, and OLS of
            income on age and household size by noisy sufficient statistics vs statsmodels;
            each repeat asks with another epsilon (the same question is answered again free)

modelgate is timed as a whole process (start, admission, sandboxed worker,
output checks, recording, exit); the anchors are timed in-process on data
they have already loaded, which favours them.

It also checks that regression coefficients agree with statsmodels, and notes the
peak resident memory of modelgate's ingest.

Setup once:
  python3 -m venv .bench/venv && .bench/venv/bin/pip install duckdb pandas statsmodels
Run:
  .bench/venv/bin/python bench/compare.py --modelgate .build/release/modelgate --rows 1000000
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t, p


def timed_peak(cmd):
    """Like timed, and the command's peak resident memory in KB, or None without GNU time.
    Measured by GNU time rather than this process's rusage of the child: a child forked from
    this process keeps its memory high-water mark (pandas, statsmodels) across exec."""
    gnu_time = "/usr/bin/time"
    if not os.path.exists(gnu_time):
        t, p = timed(cmd)
        return t, p, None
    with tempfile.NamedTemporaryFile("r") as report:
        t, p = timed([gnu_time, "-f", "%M", "-o", report.name] + cmd)
        return t, p, int(report.read().split()[-1])


def median_time(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def run_modelgate(mg, spec, state, repeat):
    times, last = [], None
    for _ in range(repeat):
        t, p = timed([mg, "run", spec, "--state", state, "--format", "json"])
        if p.returncode != 0:
            sys.exit(f"modelgate run {spec} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        times.append(t)
        last = p.stdout
    return statistics.median(times), json.loads(last)


def coefficient_error(result, reference):
    """Largest relative difference between modelgate's estimates and reference {term: value}."""
    got = {c["term"]: c["estimate"] for c in result["result"]["coefficients"]}
    worst = 0.0
    for term, want in reference.items():
        if term not in got:
            return float("inf"), f"missing term {term!r}; modelgate has {sorted(got)[:6]}..."
        worst = max(worst, abs(got[term] - want) / max(abs(want), 1e-12))
    return worst, ""


def patsy_to_modelgate(name):
    # statsmodels: C(district)[T.Beibei] ; modelgate: district=Beibei ; Intercept: (intercept)
    if name == "Intercept":
        return "(intercept)"
    if name.startswith("C("):
        col = name[2:name.index(")")]
        level = name[name.index("[T.") + 3:-1]
        return f"{col}={level}"
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modelgate", required=True, help="path to the modelgate executable (release build)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--work", default=".bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="ingest,crosstab,ols,logit,dp")
    a = ap.parse_args()

    import duckdb
    import numpy as np
    import pandas as pd
    import statsmodels.formula.api as smf

    os.makedirs(a.work, exist_ok=True)
    csv = os.path.join(a.work, f"household-{a.rows}.csv")
    if not os.path.exists(csv):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_household.py"), str(a.rows), csv], check=True)
    state = os.path.join(a.work, f"state-{a.rows}")
    policy = os.path.join(HERE, "household.policy.yaml")
    only = set(a.only.split(","))
    rows = []

    # ingest (always needed): each side --repeat times, alternating, medians; a fresh state and a
    # fresh table each time. The peak memory is the largest of modelgate's runs.
    ingest_times, duck_times, peaks = [], [], []
    con = duckdb.connect()
    for _ in range(a.repeat):
        subprocess.run(["rm", "-rf", state])
        t_mg, p, peak_kb = timed_peak([a.modelgate, "ingest", "--policy", policy, "--csv", csv, "--state", state])
        if p.returncode != 0:
            sys.exit(f"modelgate ingest failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        ingest_times.append(t_mg)
        peaks.append(peak_kb)
        con.execute("drop table if exists t")
        t = time.perf_counter()
        con.execute(f"create table t as select * from read_csv_auto('{csv}')")
        duck_times.append(time.perf_counter() - t)
    t_mg, t_duck = statistics.median(ingest_times), statistics.median(duck_times)
    peak = f"{max(peaks) / 1024:.0f} MB" if all(peaks) else "unknown (no /usr/bin/time)"
    rows.append(("ingest", t_mg, "duckdb load", t_duck, f"modelgate peak RSS {peak}"))
    t_load = t_duck

    if "crosstab" in only:
        t_mg, res = run_modelgate(a.modelgate, os.path.join(HERE, "crosstab.yaml"), state, a.repeat)
        t_duck, _ = median_time(lambda: con.execute(
            "select district, sex, count(*), avg(income) from t group by 1, 2").fetchall(), a.repeat)
        rows.append(("crosstab", t_mg, "duckdb group-by", t_duck, f"status={res.get('status')}"))

    if "ols" in only or "logit" in only:
        df = con.execute("select * from t").df()

    if "ols" in only:
        t_mg, res = run_modelgate(a.modelgate, os.path.join(HERE, "ols.yaml"), state, a.repeat)
        formula = "income ~ age + household_size + C(district) + C(education)"
        t_sm, fit = median_time(lambda: smf.ols(formula, data=df).fit(), 1)
        ref = {patsy_to_modelgate(k): v for k, v in fit.params.items()}
        err, why = coefficient_error(res, ref)
        X = np.asarray(fit.model.exog)
        y = np.asarray(fit.model.endog)
        t_np, _ = median_time(lambda: np.linalg.lstsq(X, y, rcond=None), a.repeat)
        rows.append(("ols", t_mg, "statsmodels ols", t_sm, f"max rel coef err {err:.2e} {why}"))
        rows.append(("ols", t_mg, "numpy lstsq (matrix prebuilt)", t_np, ""))

    if "logit" in only:
        t_mg, res = run_modelgate(a.modelgate, os.path.join(HERE, "logit.yaml"), state, a.repeat)
        # Timed as often as modelgate (median of --repeat): one timing of an in-process fit is noisy.
        t_sm, fit = median_time(
            lambda: smf.logit("insured ~ age + household_size + income", data=df).fit(disp=0), a.repeat)
        ref = {patsy_to_modelgate(k): v for k, v in fit.params.items()}
        err, why = coefficient_error(res, ref)
        rows.append(("logit", t_mg, "statsmodels logit", t_sm, f"max rel coef err {err:.2e} {why}"))

    if "dp" in only:
        frame = df if ("ols" in only or "logit" in only) else con.execute("select * from t").df()
        rows += dp_rows(a, csv, con, smf, frame, t_load)

    print(f"rows={a.rows}  repeat={a.repeat}  (ratio = modelgate / anchor; < 1 means modelgate is faster)")
    print(f"{'task':9} {'modelgate s':>12} {'anchor':32} {'anchor s':>9} {'ratio':>7}  notes")
    for task, tm, name, ta, note in rows:
        print(f"{task:9} {tm:12.3f} {name:32} {ta:9.3f} {tm / ta:7.2f}  {note}")


def dp_rows(a, csv, con, smf, df, t_load):
    """The dp tasks: the rows ingested again under the dp policy, then jobs whose every repeat
    asks with another epsilon, so that none is the free repeat of an earlier answer."""
    state = os.path.join(a.work, f"state-dp-{a.rows}")
    policy = os.path.join(HERE, "..", "policies", "household-survey-dp.yaml")
    subprocess.run(["rm", "-rf", state])
    t_mg, p = timed([a.modelgate, "ingest", "--policy", policy, "--csv", csv, "--state", state])
    if p.returncode != 0:
        sys.exit(f"modelgate ingest (dp) failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    specs = {
        "dp-mean": "model: crosstab\ndataset: household-survey-dp\nrows: [district]\ncolumns: [sex]\n"
        "measure: income\nstatistic: mean\nclamp: { income: [0, 200000] }\n",
        "dp-ols": "model: linear_regression\ndataset: household-survey-dp\ntarget: income\n"
        "features: [age, household_size]\nclamp: { income: [0, 200000] }\n",
    }
    times = {}
    for task, text in specs.items():
        spent = []
        for k in range(a.repeat):
            path = os.path.join(a.work, f"{task}-{k}.yaml")
            with open(path, "w") as f:
                f.write(text + f"epsilon: {0.1 + 0.01 * k:.2f}\n")
            t, p = timed([a.modelgate, "run", path, "--state", state, "--format", "json"])
            result = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
            if result.get("status") != "released":
                sys.exit(f"modelgate run {task} did not release:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
            spent.append(t)
        times[task] = statistics.median(spent)
    t_duck, _ = median_time(lambda: con.execute(
        "select district, sex, count(*), avg(least(income, 200000)) from t group by 1, 2").fetchall(), a.repeat)
    t_sm, _ = median_time(lambda: smf.ols("income ~ age + household_size", data=df).fit(), 1)
    return [
        ("dp ingest", t_mg, "duckdb load", t_load, "levels and bounds checked"),
        ("dp-mean", times["dp-mean"], "duckdb group-by (clamped mean)", t_duck, "noisy, epsilon 0.1 and up"),
        ("dp-ols", times["dp-ols"], "statsmodels ols", t_sm, "noisy sufficient statistics"),
    ]


if __name__ == "__main__":
    main()
