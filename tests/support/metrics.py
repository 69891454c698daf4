"""Scraping ``/metrics``: every sample as ``{(name, labels): value}``, parsed by prometheus_client's parser."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

Sample = tuple[str, frozenset[tuple[str, str]]]


@dataclass
class Pool:
    """A database pool's figures as ``ticket_service.metrics.watch_pools`` reads them."""

    name: str
    size: int
    max_size: int
    in_use: int
    waiting: int


async def scrape(client: httpx.AsyncClient) -> dict[Sample, float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    """The sample's value; 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: dict[Sample, float], after: dict[Sample, float], name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def until(
    client: httpx.AsyncClient, name: str, expected: float, *, within: float = 5.0, **labels: str
) -> dict[Sample, float]:
    """The samples of the first scrape where ``name`` (a gauge refreshed in the background) shows ``expected``."""
    async with asyncio.timeout(within):
        while True:
            samples = await scrape(client)
            if value(samples, name, **labels) == expected:
                return samples
            await asyncio.sleep(0.02)
