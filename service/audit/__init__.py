"""Audit log of administrative actions: who (key id), when, what; never secrets or transcript text."""
