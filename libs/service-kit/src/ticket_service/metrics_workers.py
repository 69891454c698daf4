"""``/metrics`` of a service served by several worker processes: prometheus-client's multiprocess mode.

With ``WEB_CONCURRENCY`` above 1, uvicorn spawns the workers and a scrape reaches one of them. So that it counts
for all of them:

- the CLI (the parent, before uvicorn spawns anything) runs the workers inside :func:`shared_directory`: a fresh
  private directory in ``PROMETHEUS_MULTIPROC_DIR``, removed at exit (or the one the operator set, emptied of an
  earlier run's files and kept). The workers inherit the variable and import prometheus-client after it is set,
  so every counter, histogram and gauge writes its value to a file of that directory; :func:`serve_workers` marks
  a worker that uvicorn replaced (died, restarted on SIGHUP, removed on SIGTTOU) as dead;
- in a worker (:func:`enabled`), ``/metrics`` answers with what :class:`MultiProcessCollector` merges from every
  file: counters and histograms summed over the workers (those that died included, as a counter must), gauges by
  their ``multiprocess_mode`` (a gauge without one keeps a ``pid`` label per worker);
- collectors that compute their families at scrape time (``ScrapeCollector``, the process collector) cannot be
  merged as they are: each worker copies what they yield into gauges and counters of the directory
  (:class:`Mirror`), every :data:`MIRROR_SECONDS` and before the scrape it answers, with the mode the collector
  names per family (``ScrapeCollector(modes=...)``; :data:`PROCESS_MODES` for ``process_*``, whose CPU seconds
  are a counter, summed). A gauge family it names no mode for is kept per worker (``liveall``, a ``pid`` label).

A worker that stops marks itself dead too, so that its ``live*`` gauges leave the sums at once.

The directory must belong to one service's workers: a worker merges every file in it.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, values
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds between two copies of a worker's scrape-time families into the directory.
MIRROR_SECONDS = 1.0

Mode = Literal["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent", "livemostrecent"]
Modes = Mapping[str, Mode]

PROCESS_MODES: Modes = {
    "process_virtual_memory_bytes": "livesum",  # the workers' memory together
    "process_resident_memory_bytes": "livesum",
    "process_open_fds": "livesum",
    "process_max_fds": "livemax",  # the same limit in every worker
    "process_start_time_seconds": "livemax",  # the youngest worker: moves when one is restarted
}


def enabled() -> bool:
    """Whether this process writes its metrics to ``PROMETHEUS_MULTIPROC_DIR`` (the variable was set before
    prometheus-client was imported). Set only after the import, it is ignored with a warning: the process's own
    registry is served, as with one worker."""
    multiprocess: bool = getattr(values.ValueClass, "_multiprocess", False)
    if not multiprocess and os.environ.get(ENV):
        log.warning("%s was set after prometheus_client was imported: serving this process's metrics only", ENV)
    return multiprocess and bool(os.environ.get(ENV))


@contextlib.contextmanager
def shared_directory(workers: int) -> Iterator[Path | None]:
    """``PROMETHEUS_MULTIPROC_DIR`` for ``workers`` processes while the block runs (the path; None when there is
    none). With several workers and none set: a fresh private directory, removed after. A directory the operator
    set is emptied of metric files at start, whatever the number of workers, and kept."""
    given = os.environ.get(ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        clear(path)
        yield path
        return
    if workers <= 1:
        yield None
        return
    path = Path(tempfile.mkdtemp(prefix="ticket-metrics-"))  # mode 0700: this service's workers only
    os.environ[ENV] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def clear(path: Path) -> None:
    """Removes the metric files of an earlier run from ``path``."""
    for name in glob.glob(os.path.join(path, "*.db")):
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


def serve_workers(app: str, workers: int, **options: Any) -> None:
    """``uvicorn.run(app, workers=workers, **options)`` for ``workers`` > 1, each worker writing its metrics to
    :func:`shared_directory`, and a worker uvicorn replaces marked dead there."""
    from uvicorn import Config
    from uvicorn.supervisors.multiprocess import Multiprocess

    class Supervisor(Multiprocess):
        def handle_signals(self) -> None:
            self._marking(super().handle_signals)

        def keep_subprocess_alive(self) -> None:
            self._marking(super().keep_subprocess_alive)

        def _marking(self, step: Callable[[], None]) -> None:
            before = {process.pid for process in self.processes}
            step()
            for pid in before - {process.pid for process in self.processes}:
                if pid is not None and path is not None:
                    mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]

    with shared_directory(workers) as path:
        config = Config(app, workers=workers, **options)
        with contextlib.suppress(KeyboardInterrupt):
            Supervisor(config, sockets=[config.bind_socket()]).run()


class Mirror:
    """Copies the families of a worker's scrape-time collectors into gauges and counters of the directory."""

    def __init__(self) -> None:
        self._sources: list[tuple[Collector, Modes]] = []
        self._gauges: dict[str, Gauge] = {}
        self._counters: dict[str, Counter] = {}
        self._counted: dict[tuple[str, tuple[str, ...]], float] = {}

    def add(self, collector: Collector, modes: Modes) -> None:
        self._sources.append((collector, modes))

    def update(self) -> None:
        for collector, modes in self._sources:
            for family in collector.collect():
                if family.type == "gauge":
                    self._gauge(family.name, family.documentation, family.samples, modes.get(family.name, "liveall"))
                elif family.type == "counter":
                    self._counter(family.name, family.documentation, family.samples)

    def _gauge(self, name: str, text: str, samples: Iterable[Any], mode: Mode) -> None:
        for sample in samples:
            gauge = self._gauges.get(name)
            if gauge is None:
                gauge = self._gauges[name] = Gauge(
                    name, text, tuple(sample.labels), multiprocess_mode=mode, registry=None
                )
            (gauge.labels(**sample.labels) if sample.labels else gauge).set(sample.value)

    def _counter(self, name: str, text: str, samples: Iterable[Any]) -> None:
        for sample in samples:
            if not sample.name.endswith("_total"):
                continue  # _created: not kept in multiprocess mode
            counter = self._counters.get(name)
            if counter is None:
                counter = self._counters[name] = Counter(name, text, tuple(sample.labels), registry=None)
            key = (name, tuple(sample.labels.values()))
            last = self._counted.get(key, 0.0)
            self._counted[key] = sample.value
            step = sample.value - last if sample.value >= last else sample.value  # the source was reset
            if step:
                (counter.labels(**sample.labels) if sample.labels else counter).inc(step)


class WorkerRegistry(CollectorRegistry):
    """A worker's registry: as a process's, and every collector that is not a prometheus-client metric (those
    write to the directory themselves) copied by the :class:`Mirror` as well."""

    def __init__(self) -> None:
        super().__init__(auto_describe=True)
        self.mirror = Mirror()

    def register(self, collector: Collector) -> None:
        super().register(collector)
        if not isinstance(collector, MetricWrapperBase):
            self.mirror.add(collector, modes_of(collector))


def modes_of(collector: Collector) -> Modes:
    if isinstance(collector, ProcessCollector):
        return PROCESS_MODES
    modes: Modes = getattr(collector, "modes", {})
    return modes


def merged() -> CollectorRegistry:
    """A registry of what every worker wrote to the directory, merged."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def mirroring(registry: WorkerRegistry) -> Callable[[], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan copying ``registry``'s scrape-time families every :data:`MIRROR_SECONDS` while the worker runs,
    and marking the worker dead when it stops."""
    from .metrics import refreshing

    async def update() -> None:
        registry.mirror.update()

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        try:
            async with refreshing(update, MIRROR_SECONDS)():
                yield
        finally:
            directory = os.environ.get(ENV)
            if directory:
                mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]

    return running
