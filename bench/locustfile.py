"""Locust pollers for bench/bench_polling.py: each simulated dashboard sends one `GET /v1/personas` per
POLL_INTERVAL seconds (constant pacing), with If-None-Match when POLL_ETAG is set."""

from __future__ import annotations

import os

from locust import constant_pacing, task
from locust.contrib.fasthttp import FastHttpUser


class DashboardPoller(FastHttpUser):
    wait_time = constant_pacing(float(os.environ.get("POLL_INTERVAL", "1")))

    @task
    def poll(self) -> None:
        headers = {"Authorization": f"Bearer {os.environ['POLL_KEY']}"}
        if os.environ.get("POLL_ETAG"):
            headers["If-None-Match"] = os.environ["POLL_ETAG"]
        with self.client.get("/v1/personas", headers=headers, catch_response=True) as response:
            if response.status_code not in (200, 304):
                response.failure(f"status {response.status_code}")
