"""deploy/: there is no container engine on the machines that run these tests, so the Dockerfile and compose file
are checked by reading them for what they must hold; the systemd unit is checked by `systemd-analyze verify`
where systemd is installed (skipped otherwise)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_is_multi_stage_slim_non_root_with_both_transports_and_a_health_check() -> None:
    steps = dockerfile()
    bases = [args for op, args in steps if op == "FROM"]
    assert len(bases) >= 2 and all(re.match(r"python:3\.\d+-slim\b", b) for b in bases), bases
    assert any("AS build" in b for b in bases) and any(op == "COPY" and "--from=build" in a for op, a in steps)

    pyproject = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())
    extras = set(pyproject["project"]["optional-dependencies"])
    installs = " ".join(a for op, a in steps if op == "RUN" and "pip install" in a)
    wanted = re.search(r"\.\[([a-z,]+)\]", installs)
    assert wanted is not None and {"telegram", "matrix"} <= set(wanted.group(1).split(",")) <= extras

    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    runs = " ".join(a for op, a in final if op == "RUN")
    assert "tzdata" in runs and "useradd" in runs
    users = [a for op, a in final if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(op == "VOLUME" and "/data" in a for op, a in final)
    assert any(op == "ENV" and "PHARE_DATA_DIR=/data" in a for op, a in final)
    assert any(op == "ENV" and "PHARE_HTTP_LISTEN=" in a for op, a in final)
    checks = [a for op, a in final if op == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0] and "PHARE_HTTP_LISTEN" in checks[0]


def test_the_health_check_command_is_valid_python() -> None:
    check = next(a for op, a in dockerfile() if op == "HEALTHCHECK")
    command = re.search(r"CMD (\[.*\])", check)
    assert command is not None
    argv = yaml.safe_load(command.group(1))
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")


def test_compose_runs_phare_on_a_current_postgresql_with_health_checks_and_an_env_file() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    db, phare = compose["services"]["db"], compose["services"]["phare"]
    major = int(re.match(r"postgres:(\d+)", db["image"]).group(1))  # type: ignore[union-attr]
    assert major >= 16
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.split(":")[0] in compose["volumes"] for v in db["volumes"])
    assert phare["env_file"] == ".env" and phare["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(phare["healthcheck"]["test"])
    assert "container_name" not in phare and "ports" not in phare  # `--scale phare=2` needs neither
    assert phare["environment"]["PHARE_DATABASE_URL"].startswith("postgresql://")
    assert "--scale phare=2" in (DEPLOY / "compose.yaml").read_text()


UNIT_NEEDS = {
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "NoNewPrivileges": "yes",
    "Restart": "on-failure",
    "ReadWritePaths": "/var/lib/phare",
}


def unit() -> dict[str, str]:
    found = {}
    for line in (DEPLOY / "phare.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip()
    return found


def test_the_systemd_unit_is_hardened() -> None:
    settings = unit()
    for key, value in UNIT_NEEDS.items():
        assert settings.get(key) == value, key
    assert settings.get("DynamicUser") == "yes" or settings.get("User") not in (None, "root")
    assert settings["ExecStart"].endswith("phare run")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's `phare` instead of /opt/phare's.
    phare = Path(sys.executable).with_name("phare")
    if not phare.exists():
        pytest.skip("no phare script next to this Python")
    text = (DEPLOY / "phare.service").read_text().replace("/opt/phare/.venv/bin/phare", str(phare))
    (tmp_path / "phare.service").write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "phare.service"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
