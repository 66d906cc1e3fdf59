"""Three `modelgate serve` processes on one PostgreSQL database, sharing one state folder, as
the README's several-gateway deployment runs them; the end-to-end test of that deployment.

1. The differencing tracker (one tiny district C, half the others T: the summaries of ¬T, C ∪ T
   and C ∪ ¬T, each from a different gateway) is refused at its third job: the release ledger
   is one ledger across gateways.
2. Researchers send jobs (exact and dp) spread over the three; one gateway is SIGKILLed while it
   has a job admitted; the others mark that job interrupted once its lease expires.
3. Then: `modelgate audit verify` says the chain is intact; every job the store knows ended
   exactly once (released, refused, failed or interrupted, one event each); nothing is left
   admitted; the dp dataset's ε spent is exactly what the released dp answers cost, with the
   interrupted ones' (they may have read data); every gateway ran jobs.

Standard library only. Needs the modelgate binary ($MODELGATE_BIN or the debug build), psql,
and a PostgreSQL database URL in $MODELGATE_DATABASE (scripts/test-gateways makes one).
"""

from __future__ import annotations

import collections
import concurrent.futures
import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from demo_gateway import REPOSITORY, binary, free_port  # noqa: E402

LEASE_SECONDS = 6
EXACT = "household-survey"
DP = "household-survey-dp"


def psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def modelgate(*arguments: str, database: str, state: pathlib.Path) -> str:
    run = subprocess.run(
        [str(binary()), *arguments, "--state", str(state), "--database", database],
        capture_output=True, text=True, cwd=REPOSITORY,
    )
    if run.returncode != 0:
        raise AssertionError(f"modelgate {' '.join(arguments)} failed ({run.returncode}):\n{run.stderr}")
    return run.stdout


class Gateway:
    """One `modelgate serve` on a free port, on the shared state and database."""

    def __init__(self, name: str, state: pathlib.Path, database: str, logs: pathlib.Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = logs / f"gateway-{name}.log"
        with open(self.log, "w") as output:
            self.process = subprocess.Popen(
                [str(binary()), "serve", "--state", str(state), "--database", database, "--port", str(self.port),
                 "--policies", str(REPOSITORY / "policies"), "--lease-seconds", str(LEASE_SECONDS), "--jobs", "3"],
                stdout=output, stderr=subprocess.STDOUT, cwd=REPOSITORY,
            )

    def wait_until_healthy(self, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    return json.loads(answer.read())
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gateway {self.name} did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def call(gateway: Gateway, method: str, path: str, token: str, body: str | dict | None = None,
         asynchronous: bool = False) -> tuple[int, dict]:
    data = None if body is None else (json.dumps(body) if isinstance(body, dict) else body).encode()
    request = urllib.request.Request(f"{gateway.url}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if asynchronous:
        request.add_header("Prefer", "respond-async")
    if isinstance(body, dict):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def summary(districts: list[str]) -> str:
    return (f"model: summary\ndataset: {EXACT}\nvariables: [income]\n"
            f"where: [{{ column: district, op: in, value: [{', '.join(districts)}] }}]\n")


class ThreeGatewaysTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.database = os.environ["MODELGATE_DATABASE"]
        cls.folder = pathlib.Path(tempfile.mkdtemp(prefix="modelgate-gateways-"))
        cls.state = cls.folder / "state"
        # The datasets, ingested once into the shared state folder (20,000 rows: tiny districts
        # stay tiny) and recorded in the database, with no job run on them yet (no example
        # specs); the principals in the database.
        (cls.folder / "no-specs").mkdir()
        modelgate("demo", "--rows", "20000", "--models", str(cls.folder / "no-specs"), database=cls.database,
                  state=cls.state)
        rows = cls.state / "demo" / f"{EXACT}.csv"
        modelgate("ingest", "--policy", str(REPOSITORY / "policies" / f"{DP}.yaml"), "--csv", str(rows),
                  database=cls.database, state=cls.state)
        with open(rows) as file:
            cls.sizes = collections.Counter(row["district"] for row in csv.DictReader(file))

        def principal(name: str, role: str, body: str | None = None) -> str:
            extra = ["--body", body] if body else []
            return modelgate("principal", "add", "--name", name, "--role", role, *extra,
                             database=cls.database, state=cls.state).strip()

        cls.owner = principal("olga", "owner", "statistics-bureau")
        cls.researchers = {name: principal(name, "researcher") for name in ["rita", "rob", "rosa"]}
        cls.gateways = [Gateway(name, cls.state, cls.database, cls.folder) for name in "abc"]
        for gateway in cls.gateways:
            health = gateway.wait_until_healthy()
            assert health["store"]["kind"] == "postgresql", health
        # Each researcher applies on one gateway; the owner approves on another.
        for index, token in enumerate(cls.researchers.values()):
            status, application = call(cls.gateways[index % 3], "POST", "/v1/applications", token, {
                "datasets": [EXACT, DP],
                "models": ["summary", "crosstab", "histogram", "linear_regression", "logistic_regression"],
                "purpose": "household income research", "scenario": "yearly report",
                "safeguards": "results only", "starts": "2026-01-01", "ends": "2099-01-01"})
            assert status == 201, application
            status, decided = call(
                cls.gateways[(index + 1) % 3], "POST", f"/v1/applications/{application['id']}/approve", cls.owner, {})
            assert status == 200, decided

    @classmethod
    def tearDownClass(cls) -> None:
        for gateway in cls.gateways:
            gateway.stop()

    def test_1_the_tracker_is_refused_across_gateways(self) -> None:
        tiny = min((d for d, n in self.sizes.items() if n > 0), key=lambda d: self.sizes[d])
        self.assertLess(self.sizes[tiny], 10, "the demo data has no tiny district to isolate")
        others = sorted(d for d in self.sizes if d != tiny)
        half = others[: len(others) // 2]
        rest = others[len(others) // 2:]
        token = self.researchers["rita"]
        outcomes = []
        for gateway, districts in zip(self.gateways, [rest, half + [tiny], rest + [tiny]]):
            status, result = call(gateway, "POST", "/v1/jobs", token, summary(districts))
            self.assertEqual(status, 200, result)
            outcomes.append((result["status"], (result.get("reason") or {}).get("code")))
        # ¬T and C ∪ T together are the whole dataset, and give nothing away; C ∪ ¬T minus ¬T
        # would be the tiny district.
        self.assertEqual(outcomes, [("released", None), ("released", None), ("refused", "differencing")])

    def test_2_a_gateway_killed_mid_job_leaves_every_job_ended_once(self) -> None:
        victim = self.gateways[1]
        results: list[dict] = []
        accepted: list[tuple[str, str]] = []  # asynchronous jobs the victim accepted: (job, token)
        unreachable = []
        lock = threading.Lock()
        killed = threading.Event()

        def specs(researcher: int) -> list[str]:
            jobs = []
            for index in range(14):
                if index % 3 == 0:
                    jobs.append(f"model: crosstab\ndataset: {DP}\nrows: [district]\ncolumns: [sex]\n"
                                f"epsilon: 0.0{researcher + 1}{index % 10}\n")
                elif index % 3 == 1:
                    jobs.append(f"model: logistic_regression\ndataset: {EXACT}\ntarget: insured\n"
                                f"features: [age, household_size, hospital_visits]\n"
                                f"where: [{{ column: age, op: '>=', value: {18 + researcher * 3 + index} }}]\n")
                else:
                    jobs.append(f"model: crosstab\ndataset: {EXACT}\nrows: [education]\ncolumns: [sex]\n"
                                f"where: [{{ column: age, op: '>=', value: {20 + index} }}]\n")
            return jobs

        # A backlog of asynchronous jobs accepted by the victim first: queued in the store, so
        # that the other gateways run what the victim does not.
        for number, token in enumerate(self.researchers.values()):
            for spec in specs(number + 3)[:4]:
                status, answer = call(victim, "POST", "/v1/jobs", token, spec, asynchronous=True)
                self.assertEqual(status, 202, answer)
                accepted.append((answer["job"], token))

        def researcher(number: int, token: str) -> None:
            for index, spec in enumerate(specs(number)):
                gateway = self.gateways[(number + index) % 3]
                if gateway is victim and killed.is_set():
                    gateway = self.gateways[(number + index + 1) % 3]  # as a load balancer would
                try:
                    status, result = call(gateway, "POST", "/v1/jobs", token, spec)
                except OSError as error:
                    with lock:
                        unreachable.append((gateway.name, str(error)))
                    continue
                self.assertEqual(status, 200, result)
                with lock:
                    results.append(result)

        def kill_when_a_job_is_admitted_on_the_victim() -> None:
            # Frozen while we look, so that what we see is what it holds when it dies.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                victim.process.send_signal(signal.SIGSTOP)
                held = psql(self.database,
                            f"SELECT count(*) FROM jobs WHERE status = 'admitted' AND runner LIKE '%/{victim.process.pid}/%'")
                if int(held) > 0:
                    victim.process.kill()
                    victim.process.wait()
                    killed.set()
                    return
                victim.process.send_signal(signal.SIGCONT)
                time.sleep(0.01)

        killer = threading.Thread(target=kill_when_a_job_is_admitted_on_the_victim)
        killer.start()
        with concurrent.futures.ThreadPoolExecutor(len(self.researchers)) as pool:
            for future in [pool.submit(researcher, n, t) for n, t in enumerate(self.researchers.values())]:
                future.result()
        killer.join()
        self.assertTrue(killed.is_set(), "the victim never held an admitted job while the test watched")

        # Every asynchronous job the victim accepted ends, run by whichever gateway claimed it
        # (the victim's claims lapse with it), followed on another gateway.
        survivor = self.gateways[0]
        for job, token in accepted:
            deadline = time.monotonic() + 4 * LEASE_SECONDS + 60
            while True:
                status, answer = call(survivor, "GET", f"/v1/jobs/{job}", token)
                self.assertEqual(status, 200, answer)
                if answer["status"] not in ("queued", "running"):
                    break
                self.assertLess(time.monotonic(), deadline, f"asynchronous job {job} never ended: {answer}")
                time.sleep(0.25)
            self.assertIn(answer["status"], ("released", "refused", "failed", "interrupted"), answer)
            if answer["status"] != "interrupted" and "error" not in answer:
                results.append(answer)

        # The victim's admitted jobs are marked interrupted by the others once their lease expires.
        deadline = time.monotonic() + 4 * LEASE_SECONDS + 10
        while int(psql(self.database, "SELECT count(*) FROM jobs WHERE status = 'admitted'")) > 0:
            self.assertLess(time.monotonic(), deadline, "jobs still admitted long after the lease expired")
            time.sleep(0.5)

        verify = modelgate("audit", "verify", database=self.database, state=self.state)
        self.assertIn("intact", verify)
        events = json.loads(modelgate("audit", "export", database=self.database, state=self.state))
        ends = collections.Counter()
        admitted = {}
        for event in events:
            if event["kind"] in ("job_finished", "job_interrupted", "job_refused"):
                ends[event["job"]] += 1
            if event["kind"] == "job_admitted":
                admitted[event["job"]] = json.loads(event["detail"])
        stored = dict(line.split("|") for line in psql(self.database, "SELECT id, status FROM jobs").splitlines())
        self.assertEqual({job for job, count in ends.items() if count != 1}, set(), "jobs that ended more than once")
        self.assertEqual(set(ends), set(stored), "jobs without exactly one end event")
        self.assertTrue(set(admitted) <= set(stored))
        interrupted = [e for e in events if e["kind"] == "job_interrupted"]
        self.assertTrue(interrupted, "the victim's admitted job was not marked interrupted")
        self.assertTrue(all("lease expired" in json.loads(e["detail"])["note"] for e in interrupted))
        self.assertTrue(all(f"/{victim.process.pid}/" in json.loads(e["detail"])["runner"] for e in interrupted))
        # Every answer the researchers received is the job the store recorded, as recorded.
        for result in results:
            self.assertEqual(stored[result["job"]], result["status"])

        # The dp dataset's ε: what the released answers cost (repeats are free), and what the
        # interrupted jobs were debited (their workers may have read data), nothing else.
        released = sum(float(r["spec"]["epsilon"]) for r in results
                       if r["dataset"]["id"] == DP and r["status"] == "released" and not r.get("repeatOf"))
        lost = sum(float(admitted[e["job"]].get("epsilon", 0)) for e in interrupted if e["dataset"] == DP)
        answered = {r["job"] for r in results}
        unanswered = sum(float(admitted[job].get("epsilon", 0)) for job in admitted
                         if stored[job] == "released" and job not in answered)
        refunded = {e["job"] for e in events if e["kind"] == "job_finished"
                    and "epsilonRefunded" in json.loads(e["detail"])}
        failed = sum(float(admitted[job].get("epsilon", 0)) for job in admitted
                     if stored[job] == "failed" and job not in refunded)
        spent = int(psql(self.database, f"SELECT spent FROM privacy_spending WHERE dataset = '{DP}' AND agreement = ''"))
        self.assertEqual(spent, round((released + lost + unanswered + failed) * 1_000_000))
        per_agreement = psql(self.database,
                             f"SELECT COALESCE(SUM(spent), 0) FROM privacy_spending WHERE dataset = '{DP}' AND agreement <> ''")
        self.assertEqual(int(per_agreement), spent)

        # The load was spread: every gateway ran jobs.
        runners = psql(self.database, "SELECT DISTINCT split_part(runner, '/', 3) FROM jobs WHERE runner IS NOT NULL")
        for gateway in self.gateways:
            self.assertIn(str(gateway.process.pid), runners.split(), f"gateway {gateway.name} ran no job")
        self.assertEqual(psql(self.database, "SELECT count(*) FROM job_queue WHERE ended_at IS NULL"), "0")
        print(f"\n{len(results)} answers ({len(accepted)} asynchronous, accepted by the killed gateway), "
              f"{len(unreachable)} requests lost with the killed gateway, "
              f"{len(interrupted)} jobs interrupted by lease, {len(events)} events", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
