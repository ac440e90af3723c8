"""Fault-injection and concurrency tests against a real server process."""
