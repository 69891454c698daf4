"""The query routes' dependencies, as types: the service's :class:`~ticket_query.parts.Parts` read from the app's
state (put there by :func:`ticket_query.service.install`), the read model, and the caller, authenticated by the
service kit's dependency (:mod:`ticket_service.security`) and then, when the request asks for a position, waited
for (read-your-writes).

(No ``from __future__ import annotations``: FastAPI reads these annotations at import time.)
"""

from typing import Annotated, Any, cast

from fastapi import Depends, Header, Query, Request
from pydantic import BeforeValidator

from ticket_readmodel.read_model import ReadModel
from ticket_service.auth import Verified
from ticket_service.security import CurrentActor
from ticket_service.security import StreamCaller as VerifiedStreamCaller
from ticket_workflow import Actor

from .freshness import MIN_POSITION_HEADER, wait_for_position
from .parts import Parts

STATE_KEY = "query"  # the app's state attribute holding the query API's Parts (one app may host several services)


def parts_of(request: Request) -> Parts:
    """The query API's Parts of the app serving ``request``."""
    return cast(Parts, getattr(request.app.state, STATE_KEY))


async def _parts(request: Request) -> Parts:
    return parts_of(request)


QueryParts = Annotated[Parts, Depends(_parts)]


async def _read_model(parts: QueryParts) -> ReadModel:
    return parts.model()


Model = Annotated[ReadModel, Depends(_read_model)]


def _digits(value: Any) -> Any:
    """A count or position as a query parameter or header: plain ASCII digits only (pydantic alone would take
    ``0.0`` or ``+1``, which the document's ``integer`` does not describe)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written in digits")
    return value


DIGITS = BeforeValidator(_digits)
MinPosition = Annotated[
    int | None, Query(ge=0, description="Read-your-writes: wait until this global position is projected."), DIGITS
]
MinPositionHeader = Annotated[int | None, Header(alias=MIN_POSITION_HEADER, ge=0), DIGITS]


async def _fresh_enough(parts: Parts, min_position: int | None, x_min_position: int | None) -> None:
    requested = max(min_position or 0, x_min_position or 0)
    if requested:
        await wait_for_position(parts.checkpoint, requested, parts.min_position_timeout)


# Authentication (the service kit's one dependency) comes before the wait: an anonymous caller gets 401 at once,
# and learns no positions.
async def _caller(
    actor: CurrentActor, parts: QueryParts, min_position: MinPosition = None, x_min_position: MinPositionHeader = None
) -> Actor:
    await _fresh_enough(parts, min_position, x_min_position)
    return actor


Caller = Annotated[Actor, Depends(_caller)]


async def _stream_caller(
    verified: VerifiedStreamCaller,
    parts: QueryParts,
    min_position: MinPosition = None,
    x_min_position: MinPositionHeader = None,
) -> Verified:
    await _fresh_enough(parts, min_position, x_min_position)
    return verified


StreamCaller = Annotated[Verified, Depends(_stream_caller)]
