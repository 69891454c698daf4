"""What the query routes need, built by a composition root: :class:`Parts`.

The query API's own root (:mod:`ticket_query.app`) opens PostgreSQL in its lifespan and sets ``read_model`` then;
the embedded app hands in its SQLite read model and the checkpoint watch its in-process projector feeds.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from ticket_readmodel.read_model import ReadModel
from ticket_service.auth import TokenVerifier
from ticket_workflow.ports import EventStore, StoreUnavailable

from .checkpoints import CheckpointWatch
from .live import ChangeFeed
from .rendering import Renderings


@dataclass
class Parts:
    """The read model (None until the lifespan opens it), the process's checkpoint watch, the token verifier,
    the event store for the lag on ``/ready`` (None when not known), and the read-your-writes and stream bounds.

    ``checkpoint``, the process's watch the waits and live streams use, is ``watch`` when given, else one that
    reads the read model's checkpoint every ``poll_seconds`` until a feed (the PostgreSQL listener, an in-process
    projector) announces every advance. ``opener``, when given, is entered for
    the app's lifetime (:func:`ticket_query.postgres.open_postgres` sets ``read_model`` and ``event_store``).
    """

    verifier: TokenVerifier
    read_model: ReadModel | None = None
    event_store: EventStore | None = None
    watch: CheckpointWatch | None = None
    poll_seconds: float = 0.25
    min_position_timeout: float = 2.0
    stream_keepalive_seconds: float = 15.0
    renderings: Renderings = field(default_factory=Renderings)
    opener: Callable[[Parts], AbstractAsyncContextManager[None]] | None = None

    def __post_init__(self) -> None:
        self.checkpoint = self.watch or CheckpointWatch(self._read_checkpoint, poll_seconds=self.poll_seconds)
        self.feed = ChangeFeed(self.model)

    def model(self) -> ReadModel:
        if self.read_model is None:
            raise StoreUnavailable("the read model is not open yet")
        return self.read_model

    async def _read_checkpoint(self) -> int:
        return await self.model().checkpoint()
