"""What /metrics shows, through prometheus-client: counters of what happened, gauges of what is in
flight, and histograms of the latencies worth watching. One registry per bot (not the global one), so
several bots in one process (the tests) never mix their figures. No Discord here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Live(Collector):
    """Reads the bot's own counters and gauges at scrape time (nothing is copied in between)."""

    def __init__(self, stats: Counter[str], gauges: dict[str, Callable[[], float]]) -> None:
        self._stats = stats
        self._gauges = gauges

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        events = CounterMetricFamily("luma_bot_events", "Things that happened, by kind", labels=["event"])
        for name, value in sorted(self._stats.items()):
            events.add_metric([name], value)
        yield events
        for name, read in self._gauges.items():
            yield GaugeMetricFamily(f"luma_bot_{name}", name.replace("_", " "), value=read())


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.ack_seconds = Histogram(
            "luma_bot_ack_seconds",
            "From a member's command reaching the bot to Discord accepting its first answer",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0),
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            "luma_bot_delivery_seconds",
            "From a job's outcome being recorded to its message being accepted by Discord",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0),
            registry=self.registry,
        )

        self.wait_seconds = Histogram(
            "luma_bot_wait_seconds",
            "How long jobs waited in line for a free slot",
            buckets=(0.1, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
            registry=self.registry,
        )

    def watch(self, stats: Counter[str], gauges: dict[str, Callable[[], float]]) -> None:
        self.registry.register(_Live(stats, gauges))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
