"""Persona discovery service: FastAPI app, persistence, auth, webhooks, jobs and CLI."""
