"""The benchmark cannot rot: its quick mode runs here, end to end, and its figures are sane."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "ack p99 @20 concurrent" in result.stdout and "delivery callback bot-side p99" in result.stdout
    figures = json.loads(out.read_text())
    rows = {r["metric"]: r for r in figures["rows"]}
    assert rows["granted of 400 against limit 200"]["median"] == 200
    assert rows["429s: all 10 results delivered in"]["met"] is True
    assert rows["poll requests/s, 1000 in flight"]["median"] <= 1.05
    # the scaling rows: PostgreSQL beside SQLite, many servers, migrate-db (their figures in README › Scaling)
    assert rows["PostgreSQL: ack p99 @20 (baseline SQLite)"]["baseline"] > 0
    assert rows["PostgreSQL: resume 200 jobs (baseline SQLite)"]["median"] > 0
    assert (
        rows["RSS with 1,000 servers (baseline: 1)"]["median"]
        > rows["RSS with 1,000 servers (baseline: 1)"]["baseline"]
    )
    assert rows["migrate-db, 5,000 history rows (baseline COPY)"]["median"] > 0
    # the showcase and the gallery (#23): the pages answer over the bot's web server, every star is counted
    assert rows["gallery SQLite: search (rare word) p95, 5,000 videos"]["baseline"] > 0
    assert rows["gallery PostgreSQL: first page p95, 5,000 videos"]["median"] > 0
    assert rows["showcase: requests to Discord per ⭐"]["median"] < 1
    [run] = figures["runs"]
    assert run["showcase"]["posts"] == 10 and run["showcase"]["reactions"] == 100
    assert len(run["callback"]["delivery_bot_side_ms"]) == 20 and len(run["poll"]["delivery_bot_side_ms"]) == 20
    assert all(v > 0 for v in run["callback"]["ack_ms"]["20"])
    assert run["scale"]["extra_mib"] > 0 and run["naive"]["kib_per_job"] > 0
