"""Dagster's webserver and daemon for one PUHUI_HOME (``puhui serve``).

Started as the two processes a deployment runs (``dagster-webserver`` and
``dagster-daemon run``, the current CLI; ``dagster dev`` is superseded and warns), each
in its own process group on 127.0.0.1, with DAGSTER_HOME=$PUHUI_HOME/dagster. The
daemon runs the sensors (the delivery sensor is on by default) and the run queue (one
run at a time), so a complete delivery dropped into the landing folder is loaded,
built, audited and published with nobody typing anything (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
CODE_LOCATION = ["-m", "dagster_project.definitions"]


@dataclass
class Orchestrator:
    webserver: subprocess.Popen
    daemon: subprocess.Popen
    url: str

    def alive(self) -> bool:
        return self.webserver.poll() is None and self.daemon.poll() is None

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM each process group (its code servers and run workers included), then
        SIGKILL what is left; only the groups started here."""
        for proc in (self.daemon, self.webserver):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (self.daemon, self.webserver):
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _env(settings: Settings) -> dict[str, str]:
    # Launching a run asks the code server over gRPC; its default 60 s ran out on a
    # loaded 2-core machine and the run failed before it started.
    return {"DAGSTER_GRPC_TIMEOUT_SECONDS": "300", **os.environ,
            "DAGSTER_HOME": str(settings.dagster_home), "PUHUI_HOME": str(settings.home)}


def start(settings: Settings, port: int | None = None, log_dir: Path | None = None,
          ready_timeout: float = 240) -> Orchestrator:
    """Start webserver and daemon; return once the webserver answers."""
    from dagster_project.pipeline import instance_for
    from dagster_project.resources.dbt import prepare_manifest

    settings.ensure_dirs()
    instance_for(settings).dispose()  # writes dagster.yaml (run queue of one)
    prepare_manifest(settings)  # once here, not raced by the two processes
    port = port or settings.dagster_port
    bin_dir = Path(sys.executable).parent
    logs = log_dir or settings.logs_dir
    logs.mkdir(parents=True, exist_ok=True)

    def spawn(args: list[str], name: str) -> subprocess.Popen:
        out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        return subprocess.Popen(args, cwd=REPO_ROOT, env=_env(settings), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)

    web = spawn([str(bin_dir / "dagster-webserver"), *CODE_LOCATION, "--host", "127.0.0.1",
                 "--port", str(port)], "dagster-webserver")
    daemon = spawn([str(bin_dir / "dagster-daemon"), "run", *CODE_LOCATION], "dagster-daemon")
    orch = Orchestrator(web, daemon, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if not orch.alive():
            orch.stop()
            raise RuntimeError(f"Dagster exited while starting; see {logs}/dagster-*.log")
        try:
            with urllib.request.urlopen(f"{orch.url}/server_info", timeout=5) as r:
                if r.status == 200:
                    return orch
        except OSError:
            time.sleep(1)
    orch.stop()
    raise RuntimeError(f"Dagster webserver not up within {ready_timeout:.0f} s; see {logs}")
