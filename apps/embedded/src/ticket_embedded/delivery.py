"""In-process delivery lives with the projector: :class:`ticket_projector.ProjectingStore`. Still importable from
here while ``tests/unit/query/test_checkpoints.py`` imports it by this path."""

from ticket_projector import ProjectingStore

__all__ = ["ProjectingStore"]
