"""Shared by the HTTP services: ``auth`` (JWT -> Actor), ``errors`` (one JSON error shape), ``http`` (request ids,
body size limit)."""
