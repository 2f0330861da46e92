"""Import-string entry point for `uvicorn --factory guard.proxy.asgi:app` and `guard serve --workers N`.

Each worker process reads the configuration itself (`$GUARD_CONFIG` and `GUARD_*`), so workers
share nothing but the backends named in it.
"""

from __future__ import annotations

from fastapi import FastAPI

from guard.core.config import load_settings
from guard.proxy.app import create_app

__all__ = ["app"]


def app() -> FastAPI:
    # Each worker is a fresh process: it sets up its own scrubbed JSON logging, at this edge.
    from guard.logging import configure_logging

    configure_logging(json=True)
    return create_app(load_settings())
