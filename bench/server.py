"""Start `personas serve` in a subprocess for benchmarks, on a free port with a bootstrap admin key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(database_url: str, log_path: Path, **env: str) -> Iterator[tuple[str, str]]:
    """Yield (base URL, admin key) of a fresh server process; migrations applied first. The worker does not
    warm up (compile the clustering kernels) nor embed in the background unless `PERSONAS_WARM_UP` or
    `PERSONAS_EMBED_IN_BACKGROUND` is passed: these benchmarks measure the API, and either would compete with
    them for the CPU."""
    key = "bench-admin-" + os.urandom(8).hex()
    environment = {
        **os.environ,
        "PERSONAS_WARM_UP": "false",
        "PERSONAS_EMBED_IN_BACKGROUND": "false",
        "PERSONAS_DATABASE_URL": database_url,
        "PERSONAS_BOOTSTRAP_ADMIN_KEY": key,
        **env,
    }
    personas = [sys.executable, "-m", "service.cli"]
    subprocess.run([*personas, "db", "upgrade"], env=environment, check=True, capture_output=True)
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*personas, "serve", "--port", str(port)], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {log_path}")
                time.sleep(0.3)
            yield url, key
        finally:
            process.terminate()
            process.wait(20)
