"""A first session with a modelgate gateway, as a researcher.

Start the demo (`scripts/demo` in the repository), then:

    export MODELGATE_URL=http://127.0.0.1:8080
    export MODELGATE_TOKEN=$(python3 -c 'import json; print(json.load(open(".modelgate/demo-tokens.json"))["researcher"])')
    python clients/python/examples/first_session.py
"""

from modelgate import Gateway

with Gateway() as gw:  # MODELGATE_URL and MODELGATE_TOKEN
    # 1. What may be asked: the codebook.
    codebook = gw.codebook("household-survey")
    print(codebook[["class", "type", "unit", "uses"]].to_string(), end="\n\n")

    # 2. A table: mean income by sex among those aged 30 and over.
    result = gw.run(
        {
            "model": "crosstab",
            "dataset": "household-survey",
            "rows": ["sex"],
            "measure": "income",
            "statistic": "mean",
            "where": [{"column": "age", "op": ">=", "value": 30}],
            "label": "mean income by sex, aged 30+",
        }
    )
    print(result.to_pandas().round(1).to_string(), end="\n\n")

    # 3. A refusal is a result, with the reason and what to change.
    refused = gw.run({"model": "crosstab", "dataset": "household-survey", "rows": ["income"]})
    print(f"refused: {refused.reason}", end="\n\n")

    # 4. For the paper: the citation, and a check that the result is the one the log recorded.
    print(f"Source: {result.citation}")
    print(f"receipt valid: {gw.verify(result)['valid']}")
