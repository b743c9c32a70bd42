"""Production deployment: docker-compose.yml is valid and wired as documented, the Dockerfile builds the
image the compose file expects, and Django's `check --deploy` is clean with the documented settings.

The compose file is validated offline with Debian's docker-compose 1.29 (`config` needs no engine).
In CI it must be installed (the Makefile's test target does that); elsewhere the compose tests skip.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
DOCKER_COMPOSE = shutil.which("docker-compose")
APP_SERVICES = ("web", "worker", "trainer", "live")


def needs_docker_compose():
    if DOCKER_COMPOSE:
        return
    if os.environ.get("CI"):
        pytest.fail("docker-compose is not installed; CI must validate docker-compose.yml "
                    "(apt-get install -y docker-compose)")
    pytest.skip("docker-compose not installed (apt-get install -y docker-compose); runs in CI")


def documented_env() -> dict[str, str]:
    """The ```dotenv block of docs/deploy.md: the production .env operators copy."""
    match = re.search(r"```dotenv\n(.*?)```", DEPLOY_DOC.read_text(), re.S)
    assert match, "docs/deploy.md must contain the production .env as a ```dotenv block"
    env = {}
    for line in match.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def production_env() -> dict[str, str]:
    """The documented .env with real random secrets in place of the placeholders."""
    env = documented_env()
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["POSTGRES_PASSWORD"] = secrets.token_hex(24)
    return env


def run_compose(env_file: Path, *args: str) -> subprocess.CompletedProcess:
    # A clean environment: interpolation must come from the env file alone (the shell would win over it).
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([DOCKER_COMPOSE, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return path


def yaml_to_data(text: str):
    """docker-compose 1.29 prints YAML; its own interpreter has PyYAML (the venv may not)."""
    try:
        import yaml

        return yaml.safe_load(text)
    except ImportError:
        pass
    first = Path(DOCKER_COMPOSE).read_text(errors="replace").splitlines()[0]
    python = first[2:].strip().split()[0] if first.startswith("#!") else sys.executable
    out = subprocess.run([python, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
                         input=text, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"cannot parse `docker-compose config` output as YAML: {out.stderr}"
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def compose_config(tmp_path_factory):
    needs_docker_compose()
    env_file = write_env(tmp_path_factory.mktemp("compose") / "prod.env", production_env())
    quiet = run_compose(env_file, "config", "-q")
    assert quiet.returncode == 0, f"docker-compose config -q failed:\n{quiet.stderr}"
    full = run_compose(env_file, "config")
    assert full.returncode == 0, full.stderr
    return yaml_to_data(full.stdout)


def test_compose_services_and_wiring(compose_config):
    services = compose_config["services"]
    for name in ("web", "worker", "trainer", "redis", "postgres"):
        assert name in services, f"service {name} missing"

    web = services["web"]
    assert web["command"] == ["python", "-m", "webapp.serve"]  # uvicorn, as `make run` starts it

    for name, queue in (("worker", "pose"), ("trainer", "train")):
        svc = services[name]
        cmd = svc["command"]
        assert cmd[:4] == ["celery", "-A", "webapp", "worker"], cmd
        assert cmd[cmd.index("-Q") + 1] == queue, f"{name} must consume only queue {queue}: {cmd}"
        assert "--pool=solo" in cmd, f"{name}: torch + a forking pool hang; use --pool=solo"
        devices = svc["deploy"]["resources"]["reservations"]["devices"]
        assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) and d.get("count") == 1
                   for d in devices), f"{name} needs a one-GPU reservation: {devices}"
        # Scalable with `docker compose up --scale worker=N`: no fixed names, no host ports.
        assert "container_name" not in svc and "ports" not in svc, f"{name} cannot be scaled"

    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DJANGO_DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert len(env["DJANGO_SECRET_KEY"]) >= 50
        for key in ("DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS"):
            assert key in env, f"{name}: {key} not set"
        assert services[name].get("restart") in ("always", "unless-stopped")
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"

    migrate = services["migrate"]
    assert migrate["command"][-2:] == ["migrate", "--noinput"] and migrate.get("restart") == "no"
    # live mode's lifter: the Channels worker of the channel the web process forwards keypoints to
    from poseapp.queues import LIVE_CHANNEL
    assert services["live"]["command"] == ["python", "manage.py", "runworker", LIVE_CHANNEL]


def test_compose_media_volume_is_shared(compose_config):
    services = compose_config["services"]
    mounts = {}
    for name in APP_SERVICES:
        media_root = services[name]["environment"]["DJANGO_MEDIA_ROOT"]
        named = [v for v in services[name]["volumes"]
                 if v.split(":")[0] in compose_config["volumes"] and v.split(":")[1] == media_root]
        assert named, f"{name}: no named volume mounted at DJANGO_MEDIA_ROOT={media_root}"
        mounts[name] = named[0].split(":")[:2]
    assert len({tuple(m) for m in mounts.values()}) == 1, f"web/worker/trainer/live must share one media volume: {mounts}"


def test_compose_redis_and_postgres_persist(compose_config):
    services = compose_config["services"]
    redis = services["redis"]
    cmd = redis["command"]
    assert cmd[cmd.index("--appendonly") + 1] == "yes", "redis persistence (AOF) must be on"
    assert any(v.split(":")[1] == "/data" and v.split(":")[0] in compose_config["volumes"] for v in redis["volumes"])
    pg = services["postgres"]
    assert "healthcheck" in pg and "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert any(v.split(":")[1] == "/var/lib/postgresql/data" for v in pg["volumes"])
    assert pg["environment"]["POSTGRES_PASSWORD"] in services["web"]["environment"]["DATABASE_URL"]


def test_compose_refuses_missing_secrets(tmp_path):
    needs_docker_compose()
    for missing in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"):
        env = production_env()
        del env[missing]
        result = run_compose(write_env(tmp_path / f"no-{missing}.env", env), "config", "-q")
        assert result.returncode != 0 and missing in result.stderr, (missing, result.stderr)


def test_every_setting_and_compose_variable_is_documented():
    doc = DEPLOY_DOC.read_text()
    names = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", (ROOT / "webapp/settings.py").read_text()))
    names |= set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE_FILE.read_text()))
    undocumented = sorted(n for n in names if f"`{n}`" not in doc)
    assert not undocumented, f"document these environment variables in docs/deploy.md: {undocumented}"


def test_dockerfile_builds_the_image_compose_runs():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    assert "npm ci" in text and "npm run build" in text and "COPY --from=frontend" in text
    assert "pip install -r requirements.txt" in text
    assert "collectstatic --noinput" in text
    assert re.search(r"^USER (?!root)\w+", text, re.M), "the image must run as a non-root user"
    assert 'CMD ["python", "-m", "webapp.serve"]' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".env", ".venv", "**/node_modules", "var", ".git"):
        assert path in ignored, f".dockerignore must exclude {path}"


def manage_check_deploy(tmp_path, **overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POSENET_"))}
    documented = production_env()
    env.update({k: v for k, v in documented.items() if k.startswith(("DJANGO_", "POSENET_"))})
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["POSENET_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_MEDIA_ROOT"] = str(tmp_path / "media")
    env["DJANGO_STATIC_ROOT"] = str(tmp_path / "static")
    env["DJANGO_DEBUG"] = "false"
    env.update(overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_documented_production_env(tmp_path):
    result = manage_check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_catches_a_weak_secret_key(tmp_path):
    # Proves the check above has teeth: a short key is a deployment warning, which fails the check.
    result = manage_check_deploy(tmp_path, DJANGO_SECRET_KEY="short")
    assert result.returncode != 0 and "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = manage_check_deploy(tmp_path, DJANGO_SECRET_KEY=None)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_documented_gpu_override_is_valid(tmp_path):
    """The per-GPU override file shown in docs/deploy.md validates together with docker-compose.yml."""
    needs_docker_compose()
    match = re.search(r"```yaml\n(# docker-compose\.gpus\.yml.*?)```", DEPLOY_DOC.read_text(), re.S)
    assert match, "docs/deploy.md should show docker-compose.gpus.yml"
    override = tmp_path / "docker-compose.gpus.yml"
    override.write_text(match.group(1))
    env_file = write_env(tmp_path / "prod.env", production_env())
    result = run_compose(env_file, "-f", str(override), "config")
    assert result.returncode == 0, result.stderr
    services = yaml_to_data(result.stdout)["services"]
    devices = services["worker-gpu1"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["device_ids"] == ["1"] and "count" not in devices[0]
    assert "media:/data/media" in services["worker-gpu1"]["volumes"][0]


def test_the_image_serves_with_the_same_command_as_make_run(monkeypatch):
    from webapp.run import web_command

    command = web_command("0.0.0.0", 8000)
    assert command[1:4] == ["-m", "uvicorn", "webapp.asgi:application"] and "--no-proxy-headers" in command
    monkeypatch.setenv("POSENET_TRUSTED_PROXIES", "10.0.0.2")
    trusted = web_command("0.0.0.0", 8000)
    assert trusted[trusted.index("--forwarded-allow-ips") + 1] == "10.0.0.2" and "--proxy-headers" in trusted
