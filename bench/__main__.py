"""`python -m bench [--quick] [--runs N] [--json PATH]`: run every scenario several times and print a
table of medians with min and max, each beside a baseline measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.pg import PostgresServer

from . import scenarios as sc
from . import showroom


@dataclass(frozen=True)
class Plan:
    runs: int
    sizes: tuple[int, ...]
    delivery_n: int
    naive_n: int
    rate_n: int
    scale_n: int
    settle: float
    window: float
    quota_n: int
    quota_limit: int
    line_asks: tuple[int, ...]  # videos asked for by each server, in turn, against 5 slots (callback mode)
    line_render: float
    poll_line_asks: tuple[int, ...]  # the same in poll mode at the default cadence (renders past its first look)
    poll_line_render: float
    waiting_n: int
    waiting_guilds: int
    archive_n: int  # results with a video of archive_mib MiB, in each mode (file, then link-only)
    archive_mib: float
    memory_mib: int  # 5 videos of this size kept at once
    pg_size: int  # ack and delivery at this many concurrent requests, on PostgreSQL beside SQLite
    pg_resume_n: int  # jobs in flight resumed on each database
    guilds_n: int  # servers the fake gateway announces for the memory figure
    history_n: int  # history rows moved by migrate-db
    gallery_n: int  # videos of one server behind the gallery's pages
    gallery_requests: int  # requests timed per page kind
    burst_results: int  # results starred at once …
    burst_fans: int  # … each by this many members (a burst of results × fans reactions)


FULL = Plan(
    runs=3,
    sizes=(1, 50, 200),
    delivery_n=50,
    naive_n=1000,
    rate_n=50,
    scale_n=10_000,
    settle=4.0,
    window=10.0,
    quota_n=2000,
    quota_limit=1000,
    line_asks=(40, 2, 7, 7, 7, 7, 7, 7, 8, 8),
    line_render=3.0,
    poll_line_asks=(8, 2, 5, 5),
    poll_line_render=9.0,
    waiting_n=1000,
    waiting_guilds=100,
    archive_n=30,
    archive_mib=5,
    memory_mib=50,
    pg_size=50,
    pg_resume_n=1000,
    guilds_n=10_000,
    history_n=100_000,
    gallery_n=100_000,
    gallery_requests=60,
    burst_results=50,
    burst_fans=20,
)
QUICK = Plan(
    runs=1,
    sizes=(1, 20),
    delivery_n=20,
    naive_n=100,
    rate_n=10,
    scale_n=1000,
    settle=0.5,
    window=2.0,
    quota_n=400,
    quota_limit=200,
    line_asks=(8, 2, 4),
    line_render=0.3,
    poll_line_asks=(),
    poll_line_render=0.0,
    waiting_n=200,
    waiting_guilds=20,
    archive_n=4,
    archive_mib=5,
    memory_mib=10,
    pg_size=20,
    pg_resume_n=200,
    guilds_n=1000,
    history_n=5000,
    gallery_n=5000,
    gallery_requests=10,
    burst_results=10,
    burst_fans=10,
)


async def one_run(plan: Plan, work: Path, pg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with sc.Stage(work) as stage:
        out["bare_ack_ms"] = await sc.bare_ack(stage, list(plan.sizes))

        async with stage.bot(stage.env(callbacks=True, db=work / f"cb-{time.time_ns()}.sqlite3")) as bot:
            out["callback"] = await sc.bot_ack_and_delivery(stage, bot, list(plan.sizes), plan.delivery_n, poll=False)
            out["rate_limited"] = await sc.rate_limited(stage, bot, plan.rate_n)
        # the same bot on PostgreSQL: acks and deliveries at one size, and resuming jobs, beside SQLite
        pg_env = stage.env(
            callbacks=True, db=work / f"pgcb-{time.time_ns()}.sqlite3", DATABASE_URL=await pg.new_database()
        )
        async with stage.bot(pg_env) as bot:
            sizes = [n for n in plan.sizes if n <= plan.pg_size]  # the same sequence as on SQLite, up to pg_size
            out["pg_callback"] = await sc.bot_ack_and_delivery(stage, bot, sizes, plan.pg_size, poll=False)
        out["resume_sqlite_s"] = await sc.resume_on(stage, plan.pg_resume_n, None)
        out["resume_pg_s"] = await sc.resume_on(stage, plan.pg_resume_n, await pg.new_database())

        poll_env = stage.env(
            callbacks=False,
            db=work / f"poll-{time.time_ns()}.sqlite3",
            POLL_FIRST_DELAY="1",
            POLL_INTERVAL="1",
            POLL_MAX_INTERVAL="2",
            POLL_RATE="2",
        )
        async with stage.bot(poll_env) as bot:
            out["poll"] = await sc.bot_ack_and_delivery(stage, bot, [plan.delivery_n], plan.delivery_n, poll=True)

        out["naive"] = await sc.naive_delivery(stage, plan.naive_n)
        out["scale"] = await sc.scale_and_resume(stage, plan.scale_n, plan.settle, plan.window)
        guilds = sc.add_guilds(stage, max(len(plan.line_asks), len(plan.poll_line_asks)), 4)
        out["line"] = await sc.line_backlog(stage, guilds, list(plan.line_asks), render=plan.line_render, poll=False)
        if plan.poll_line_asks:
            out["poll_line"] = await sc.line_backlog(
                stage, guilds, list(plan.poll_line_asks), render=plan.poll_line_render, poll=True
            )
        out["waiting"] = await sc.waiting_resume(stage, plan.waiting_n, plan.waiting_guilds, plan.settle)
        out["archive_callback"] = await sc.archive_delivery(stage, plan.archive_n, plan.archive_mib, poll=False)
        out["archive_poll"] = await sc.archive_delivery(stage, plan.archive_n, plan.archive_mib, poll=True)
        out["archive_memory"] = await sc.archive_memory(stage, 5, plan.memory_mib, plan.settle)
        out["gallery_sqlite"] = await showroom.gallery_at_size(stage, plan.gallery_n, plan.gallery_requests)
        pg_url = await pg.new_database()
        out["gallery_pg"] = await showroom.gallery_at_size(stage, plan.gallery_n, plan.gallery_requests, pg_url)
        out["showcase"] = await showroom.showcase_burst(stage, plan.burst_results, plan.burst_fans)
    out["quota"] = await sc.quota_throughput(plan.quota_n, plan.quota_limit)
    out["guilds"] = await sc.many_guilds_rss(work, plan.guilds_n, plan.settle)
    out["migrate"] = await sc.migrate_history(work, pg, plan.history_n)
    return out


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(runs: list[dict[str, Any]], plan: Plan) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def row(
        name: str,
        unit: str,
        values: list[float],
        baseline: list[float] | None = None,
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        entry: dict[str, Any] = {"metric": name, "unit": unit, **spread(values), "target": target}
        if baseline:
            entry["baseline"] = statistics.median(baseline)
            entry["ratio"] = entry["median"] / entry["baseline"] if entry["baseline"] else None
        if ok is not None:
            entry["met"] = ok
        rows.append(entry)

    for n in plan.sizes:
        for pct in (50, 99):
            bot = [sc.percentile(r["callback"]["ack_ms"][str(n)], pct) for r in runs]
            bare = [sc.percentile(r["bare_ack_ms"][str(n)], pct) for r in runs]
            target, ok = ("≤ 50 ms", statistics.median(bot) <= 50) if (pct == 99 and n == 50) else ("", None)
            row(f"ack p{pct} @{n} concurrent", "ms", bot, bare, target, ok)
    for mode in ("callback", "poll"):
        for pct in (50, 99):
            side = [sc.percentile(r[mode]["delivery_bot_side_ms"], pct) for r in runs]
            naive = [sc.percentile(r["naive"]["delivery_ms"], pct) for r in runs]
            target, ok = (
                ("≤ 20 ms", statistics.median(side) <= 20) if (mode == "callback" and pct == 99) else ("", None)
            )
            row(f"delivery {mode} bot-side p{pct}", "ms", side, naive, target, ok)
        for pct in (50, 99):
            e2e = [sc.percentile(r[mode]["delivery_end_to_end_ms"], pct) for r in runs]
            naive = [sc.percentile(r["naive"]["delivery_ms"], pct) for r in runs]
            row(f"delivery {mode} task-done→message p{pct}", "ms", e2e, naive)
    extra = [r["scale"]["extra_mib"] for r in runs]
    row(f"extra memory, {plan.scale_n} jobs in flight", "MiB", extra, None, "≤ 64 MiB", statistics.median(extra) <= 64)
    per_job = [r["scale"]["extra_mib"] * 1024 / plan.scale_n for r in runs]
    row("memory per job in flight", "KiB", per_job, [r["naive"]["kib_per_job"] for r in runs])
    row("bot RSS with no jobs", "MiB", [r["scale"]["rss_empty_mib"] for r in runs])
    row(
        f"poll requests/s, {plan.scale_n} in flight",
        "req/s",
        [r["scale"]["poll_requests_per_s"] for r in runs],
        None,
        "≤ 1 req/s",
        statistics.median(r["scale"]["poll_requests_per_s"] for r in runs) <= 1.05,
    )
    row("task ids read per second", "ids/s", [r["scale"]["poll_ids_per_s"] for r in runs])
    resume = [r["scale"]["resume_s"] for r in runs]
    row(f"resume: start → {plan.scale_n} jobs tracked", "s", resume, None, "≤ 5 s", statistics.median(resume) <= 5)
    row(
        "quota reservations/s (racing)",
        "1/s",
        [r["quota"]["per_s"] for r in runs],
        [r["quota"]["plain_inserts_per_s"] for r in runs],
    )
    granted = [r["quota"]["granted"] for r in runs]
    row(
        f"granted of {plan.quota_n} against limit {plan.quota_limit}",
        "",
        granted,
        None,
        f"= {plan.quota_limit}",
        all(g == plan.quota_limit for g in granted),
    )
    row(
        f"429s: all {plan.rate_n} results delivered in",
        "s",
        [r["rate_limited"]["seconds"] for r in runs],
        None,
        "all, once",
        all(r["rate_limited"]["delivered"] == plan.rate_n and not r["rate_limited"]["posted_twice"] for r in runs),
    )
    line_rows(runs, plan, row)
    archive_rows(runs, plan, row)
    scaling_rows(runs, plan, row)
    showroom.summary(runs, row, plan.gallery_n, plan.burst_results * plan.burst_fans)
    return rows


def scaling_rows(runs: list[dict[str, Any]], plan: Plan, row: Any) -> None:
    n = plan.pg_size
    for pct in (50, 99):
        pg = [sc.percentile(r["pg_callback"]["ack_ms"][str(n)], pct) for r in runs]
        lite = [sc.percentile(r["callback"]["ack_ms"][str(n)], pct) for r in runs]
        goal = pct == 99
        row(
            f"PostgreSQL: ack p{pct} @{n} (baseline SQLite)",
            "ms",
            pg,
            lite,
            "≤ 1.5× SQLite" if goal else "",
            statistics.median(pg) <= 1.5 * statistics.median(lite) if goal else None,
        )
    pg_delivery = [sc.percentile(r["pg_callback"]["delivery_bot_side_ms"], 99) for r in runs]
    lite_delivery = [sc.percentile(r["callback"]["delivery_bot_side_ms"], 99) for r in runs]
    row("PostgreSQL: delivery callback bot-side p99", "ms", pg_delivery, lite_delivery)
    pg_resume = [r["resume_pg_s"] for r in runs]
    lite_resume = [r["resume_sqlite_s"] for r in runs]
    row(
        f"PostgreSQL: resume {plan.pg_resume_n} jobs (baseline SQLite)",
        "s",
        pg_resume,
        lite_resume,
        "≤ 1.5× SQLite",
        statistics.median(pg_resume) <= 1.5 * statistics.median(lite_resume),
    )
    row(
        f"RSS with {plan.guilds_n:,} servers (baseline: 1)",
        "MiB",
        [r["guilds"]["rss_many_mib"] for r in runs],
        [r["guilds"]["rss_one_mib"] for r in runs],
    )
    row("memory per 1,000 servers", "MiB", [r["guilds"]["mib_per_1000"] for r in runs])
    row(
        f"migrate-db, {plan.history_n:,} history rows (baseline COPY)",
        "s",
        [r["migrate"]["seconds"] for r in runs],
        [r["migrate"]["copy_seconds"] for r in runs],
    )


def archive_rows(runs: list[dict[str, Any]], plan: Plan, row: Any) -> None:
    size = f"{plan.archive_mib:g} MB"
    for mode in ("callback", "poll"):
        key = f"archive_{mode}"
        for pct in (50, 95):
            with_file = [sc.percentile(r[key]["file_ms"], pct) for r in runs]
            link_only = [sc.percentile(r[key]["link_ms"], pct) for r in runs]
            row(f"archive {mode}: done→visible, {size} file, p{pct}", "ms", with_file, link_only)
        share = [r[key]["share_with_file"] for r in runs]
        row(f"archive {mode}: results carrying the file", "%", share, None, "100%", min(share) == 100)
    extra = [r["archive_memory"]["extra_mib"] for r in runs]
    row(
        f"archive: extra memory, 5 × {plan.memory_mib} MiB kept",
        "MiB",
        extra,
        [r["archive_memory"]["baseline_mib"] for r in runs],
        "≤ 16 MiB",
        statistics.median(extra) <= 16,
    )


def line_rows(runs: list[dict[str, Any]], plan: Plan, row: Any) -> None:
    n = sum(plan.line_asks)
    guilds = len(plan.line_asks)
    util = [r["line"]["utilisation"] * 100 for r in runs]
    row(f"line: slot use, {n} jobs/{guilds} servers", "%", util, None, "≥ 99%", statistics.median(util) >= 99)
    modes = [("callback", "line", "≤ 50 ms (p99)")]
    if plan.poll_line_asks:
        modes.append(("poll", "poll_line", "≤ 1.5 s (p50)"))
    for mode, key, target in modes:
        for pct in (50, 99):
            gaps = [sc.percentile(r[key]["done_to_next_submit_ms"], pct) for r in runs]
            goal = (mode == "callback" and pct == 99) or (mode == "poll" and pct == 50)
            limit = 50 if mode == "callback" else 1500
            row(
                f"line {mode}: task done→next submit p{pct}",
                "ms",
                gaps,
                None,
                target if goal else "",
                statistics.median(gaps) <= limit if goal else None,
            )
        visible = [sc.percentile(r[key]["done_to_visible_ms"], 95) for r in runs]
        row(
            f"line {mode}: task done→result visible p95",
            "ms",
            visible,
            None,
            "≤ 5 s",
            statistics.median(visible) <= 5000,
        )
    peak = [r["line"]["peak_in_flight"] for r in runs]
    row("line: most tasks in flight at the API", "", peak, None, "≤ 5", max(peak) <= 5)
    for g in ("0", "1"):
        for pct in (50, 95):
            waits = [sc.percentile(r["line"]["wait_s_by_guild"][g], pct) for r in runs]
            label = f"asked {plan.line_asks[int(g)]} first" if g == "0" else f"asked {plan.line_asks[1]} next"
            row(f"line: wait p{pct}, server {g} ({label})", "s", waits)
    # server 1 asked behind server 0's whole backlog (every slot busy): both of its videos take slots as the
    # very next ones free up, so neither waits longer than the renders then under way
    rounds = [max(r["line"]["wait_s_by_guild"]["1"]) / plan.line_render for r in runs]
    row(
        f"line: server 1's {plan.line_asks[1]}, wait in renders",
        "",
        rounds,
        None,
        "≤ 1 (the next slots)",
        max(rounds) <= 1.05,
    )
    row(
        f"line: {plan.waiting_n} waiting/{plan.waiting_guilds} servers, extra memory",
        "MiB",
        [r["waiting"]["extra_mib"] for r in runs],
    )
    row(f"line: resume {plan.waiting_n} waiting jobs", "s", [r["waiting"]["resume_s"] for r in runs])


def table(rows: list[dict[str, Any]]) -> str:
    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

    header = f"{'metric':<44} {'unit':>6} {'median':>10} {'min':>10} {'max':>10} {'baseline':>10} {'ratio':>7}  target"
    lines = [header, "-" * len(header)]
    for r in rows:
        verdict = "" if "met" not in r else (" ✓" if r["met"] else " ✗")
        lines.append(
            f"{r['metric']:<44} {r['unit']:>6} {fmt(r['median']):>10} {fmt(r['min']):>10} {fmt(r['max']):>10} "
            f"{fmt(r.get('baseline')):>10} {fmt(r.get('ratio')):>7}  {r['target']}{verdict}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run (about a minute and a half)")
    parser.add_argument("--runs", type=int, default=None, help="repeat every scenario this many times")
    parser.add_argument("--json", type=Path, default=Path("bench/results.json"), help="where to write the figures")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.runs:
        plan = Plan(**{**plan.__dict__, "runs": args.runs})
    started = time.monotonic()
    runs = []
    pg = PostgresServer().start()  # a real PostgreSQL on 127.0.0.1, as the tests start it
    try:
        with tempfile.TemporaryDirectory(prefix="luma-bench-") as work:
            for i in range(plan.runs):
                print(f"run {i + 1} of {plan.runs}…", flush=True)
                runs.append(asyncio.run(one_run(plan, Path(work), pg)))
    finally:
        pg.stop()
    rows = summarize(runs, plan)
    elapsed = time.monotonic() - started
    print()
    print(table(rows))
    print(
        f"\n{plan.runs} run(s) in {elapsed:.0f} s on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}). Baselines: ack = a discord.py bot that only defers; delivery and "
        f"memory per job = a client holding the blocking API call open ({plan.naive_n} at once); archive "
        f"done→visible = the same bot posting the link at once (ARCHIVE_WAIT=0); archive memory = a client "
        f"reading each video whole; PostgreSQL rows = the same bot on SQLite in the same run; servers = the bot "
        f"connected to one server; migrate-db = asyncpg's COPY of the same rows; gallery = a plain SELECT of the "
        f"same rows (the newest 25; with the rare word) on the same database; showcase = one request per ⭐."
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"plan": plan.__dict__, "rows": rows, "runs": runs, "seconds": elapsed}, indent=1, default=str)
    )
    print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
