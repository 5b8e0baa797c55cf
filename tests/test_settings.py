"""Settings come from the environment; production settings pass `check --deploy`; gunicorn serves config.wsgi."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args, **env):
    full = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "PRODUCTION"}}
    full.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_variables():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        PRODUCTION="1",
        SECRET_KEY="k" * 20 + "-Aimaq-production-secret-0123456789abcdefXYZ",
        ALLOWED_HOSTS="aimaq.example.kz",
        DATABASE_URL="postgres://aimaq@db.internal:5432/aimaq",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run(["manage.py", "check"], PRODUCTION="1", ALLOWED_HOSTS="x")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_settings_from_environment():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']); print(s.CACHES['default']['BACKEND']); print(s.SESSION_ENGINE);"
        "print(s.TIME_ZONE); print(s.LANGUAGE_CODE); print(','.join(s.ALLOWED_HOSTS))"
    )
    out = run(["-c", code], DATABASE_URL="postgres://u@h:5432/d", REDIS_URL="redis://127.0.0.1:6379/1", ALLOWED_HOSTS="a.kz,b.kz").stdout.split()
    assert out == [
        "django.db.backends.postgresql",
        "django_redis.cache.RedisCache",
        "django.contrib.sessions.backends.cache",
        "Asia/Almaty",
        "kk",
        "a.kz,b.kz",
    ]
    out = run(["-c", code]).stdout.split()
    assert out[0] == "django.db.backends.sqlite3" and out[1].endswith("LocMemCache")


def test_gunicorn_loads_the_wsgi_app():
    code = "import gunicorn.util as u; app = u.import_app('config.wsgi'); print(callable(app))"
    assert run(["-c", code]).stdout.strip() == "True"


def test_collectstatic_in_production(tmp_path):
    """Hashed, compressed static files build, including the vendored Leaflet packages (no CDN)."""
    result = run(
        ["manage.py", "collectstatic", "--noinput"],
        PRODUCTION="1",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="aimaq.example.kz",
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/leaflet/leaflet.js" in manifest and "vendor/leaflet-markercluster/leaflet.markercluster.js" in manifest
    assert list(tmp_path.glob("vendor/leaflet/leaflet.*.js.gz"))
