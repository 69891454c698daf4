"""What every HTTP service shares.

- ``shell``     ``create_shell``: middleware, error handlers, OpenAPI defaults, lifespan, ``/health`` and ``/ready``
                from readiness checks; a service adds its routes with its own ``install(app, parts)``
- ``security``  the one authentication dependency (``CurrentActor``, ``StreamCaller``), off the event loop
- ``auth``      JWT settings, verification and minting; ``jwks``: the identity provider's keys, fetched rarely
- ``errors``    the one JSON error shape and its handlers; ``failures``: which errors mean a store is unavailable
- ``http``      the one middleware (request id, input hygiene, body limit, failures); ``hygiene``: unsafe input
- ``metrics``   one Prometheus registry per app, the HTTP metrics, ``GET /metrics``
- ``openapi``   the document as the services really behave
"""
