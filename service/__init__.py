"""Persona discovery service: FastAPI app, persistence, auth, webhooks, jobs and CLI."""

from service.numba_cache import use_numba_cache

# Here, because every entry point imports the package before anything that may import numba.
use_numba_cache()
