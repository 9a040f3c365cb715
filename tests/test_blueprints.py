"""The two Render blueprints: render.yaml (one process, SQLite on a disk) and render-scale.yaml (several
instances on Render Postgres and Key Value). The wiring is read from the files; then the scale blueprint's
own pre-deploy and start commands, with the environment it declares, bring up two instances on a scratch
PostgreSQL database and Redis prefix that share tokens."""

from __future__ import annotations

import base64
import os
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support import ROOT, free_port

Blueprint = dict[str, Any]
# What the operator types when Render prompts for the `sync: false` variables on the first deploy.
PROMPTED = {"ADMIN_EMAIL": "owner@example.com", "ADMIN_PASSWORD": "first-" + secrets.token_hex(8)}


def load(name: str) -> Blueprint:
    data = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(data, dict)
    return data


def web_service(blueprint: Blueprint) -> dict[str, Any]:
    webs = [s for s in blueprint.get("services", []) if s["type"] == "web"]
    assert len(webs) == 1, webs
    return webs[0]


def env_vars(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["key"]: entry for entry in service.get("envVars", [])}


def resource_names(blueprint: Blueprint) -> set[str]:
    return {s["name"] for s in blueprint.get("services", [])} | {d["name"] for d in blueprint.get("databases", [])}


def test_render_yaml_stays_one_process_on_sqlite_with_a_disk() -> None:
    blueprint = load("render.yaml")
    web = web_service(blueprint)
    env = env_vars(web)
    assert web["numInstances"] == 1 and "scaling" not in web
    assert web["disk"]["mountPath"] == "/data"  # DB_PATH's default when /data is writable
    assert "databases" not in blueprint and [s["type"] for s in blueprint["services"]] == ["web"]
    assert "DATABASE_URL" not in env and "REDIS_URL" not in env
    assert "preDeployCommand" not in web  # the pre-deploy step cannot see the disk: the server migrates
    assert web["healthCheckPath"] == "/health"
    assert env["JWT_SECRET"] == {"key": "JWT_SECRET", "generateValue": True}
    assert env["PROXY_HOPS"]["value"] == "1"


def test_scale_blueprint_wires_postgres_and_key_value_into_several_instances() -> None:
    blueprint = load("render-scale.yaml")
    web = web_service(blueprint)
    env = env_vars(web)
    (database,) = blueprint["databases"]
    (keyvalue,) = [s for s in blueprint["services"] if s["type"] == "keyvalue"]

    assert web.get("numInstances", 0) >= 2 or web.get("scaling", {}).get("minInstances", 0) >= 2
    assert "disk" not in web  # Render cannot scale a service with a disk, and nothing may live on one instance
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database["name"], "property": "connectionString"}
    assert env["REDIS_URL"]["fromService"] == {
        "type": "keyvalue",
        "name": keyvalue["name"],
        "property": "connectionString",
    }
    assert "ipAllowList" in keyvalue  # required for Key Value
    assert database.get("ipAllowList") == [] and keyvalue["ipAllowList"] == []  # private network only
    assert env["JWT_SECRET"] == {"key": "JWT_SECRET", "generateValue": True}  # one key for every instance
    assert env["PROXY_HOPS"]["value"] == "1"
    assert "REDIS_PREFIX" not in env  # the default prefix: this Key Value serves this deployment alone
    assert shlex.split(web["preDeployCommand"]) == ["python", "migrate_schema.py"]
    assert web["healthCheckPath"] == "/health"
    regions = {r.get("region", "oregon") for r in (web, database, keyvalue)}
    assert len(regions) == 1  # the private network connects resources of one region


def test_scale_blueprint_builds_and_starts_the_same_service_under_other_names() -> None:
    single, scaled = load("render.yaml"), load("render-scale.yaml")
    one, many = web_service(single), web_service(scaled)
    for field in ("runtime", "plan", "buildCommand", "startCommand", "healthCheckPath"):
        assert many[field] == one[field], field
    single_env, scaled_env = env_vars(one), env_vars(many)
    prompted = {key for key, entry in single_env.items() if entry.get("sync") is False}
    assert prompted == {key for key, entry in scaled_env.items() if entry.get("sync") is False}
    for key in ("PYTHON_VERSION", "NODE_VERSION"):
        assert scaled_env[key] == single_env[key]
    # A resource managed by two blueprints gets whichever synced last: the names must not meet.
    assert not resource_names(single) & resource_names(scaled)


# ---- the scale blueprint's commands, run as Render would run them, on loopback ---------------------------


def blueprint_env(
    service: dict[str, Any], database_url: str, redis_url: str, prompted: dict[str, str]
) -> dict[str, str]:
    """The environment Render gives the service: values, generated secrets, references, prompted values."""
    env: dict[str, str] = {}
    for key, entry in env_vars(service).items():
        if "value" in entry:
            env[key] = str(entry["value"])
        elif entry.get("generateValue"):
            env[key] = base64.b64encode(secrets.token_bytes(32)).decode()  # Render: base64, 256 bits
        elif "fromDatabase" in entry:
            env[key] = database_url
        elif entry.get("fromService", {}).get("type") == "keyvalue":
            env[key] = redis_url
        elif key in prompted:
            env[key] = prompted[key]
    return env


def command(text: str, port: int) -> list[str]:
    """A blueprint command for this machine: this interpreter, `$PORT`, and loopback instead of 0.0.0.0."""
    words = [word.replace("$PORT", str(port)) for word in shlex.split(text)]
    words = ["127.0.0.1" if word == "0.0.0.0" else word for word in words]
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    return [sys.executable, "-m", *words]  # uvicorn


@pytest.fixture
def instances(fresh_pg_url: str, redis_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[list[str]]:
    """The pre-deploy command, then two instances started at once, as a first deploy does; their base URLs."""
    web = web_service(load("render-scale.yaml"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FB_", "ADMIN_", "DB_PATH"))}
    env = base | blueprint_env(web, fresh_pg_url, redis_url, PROMPTED)
    env |= {"REDIS_PREFIX": redis_prefix, "BCRYPT_ROUNDS": "4"}  # this test's keys; fast hashing
    migrated = subprocess.run(command(web["preDeployCommand"], 0), cwd=ROOT, env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "applied" in migrated.stdout

    ports = [free_port(), free_port()]
    logs = [tmp_path / f"instance-{i}.log" for i in range(2)]
    procs = [
        subprocess.Popen(
            command(web["startCommand"], port), cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc, log in zip(urls, procs, logs, strict=True):
            wait_healthy(url, proc, log)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not serve /health:\n{log.read_text(errors='replace')}")


def test_scale_blueprint_commands_bring_up_two_instances_that_share_one_deployment(instances: list[str]) -> None:
    first, second = instances
    login = httpx.post(
        f"{first}/api/v1/auth/login", json={"email": PROMPTED["ADMIN_EMAIL"], "password": PROMPTED["ADMIN_PASSWORD"]}
    )
    assert login.status_code == 200, login.text
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    # The generated JWT_SECRET is the service's, so the other instance accepts the token; one database,
    # so it sees the one admin both instances' first starts agreed on.
    users = httpx.get(f"{second}/api/v1/users", headers=token)
    assert users.status_code == 200, users.text
    assert [u["email"] for u in users.json()] == [PROMPTED["ADMIN_EMAIL"]]
