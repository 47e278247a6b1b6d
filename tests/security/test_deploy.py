"""Production settings, as a deployment sets them through the environment.

Each test starts a fresh Python process with DJANGO_PRODUCTION=1, a real secret key and the
site's host name, because settings are read once at import: the test process itself runs the
development settings.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "partyreg.example.vn"


def production_env(tmp_path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PARTYREG_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="partyreg.settings",
        DJANGO_PRODUCTION="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        PARTYREG_SITE_URL=f"https://{HOST}",
        PARTYREG_VAR_DIR=str(tmp_path / "var"),
    )
    env.update(extra)
    return env


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_debug_is_left_on(tmp_path):
    """The check above can fail: the same settings with DEBUG on are refused."""
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, DJANGO_DEBUG="1"),
    )
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_the_site_address(tmp_path):
    """Links printed on sheets and sent by e-mail would otherwise point at a developer's machine."""
    env = production_env(tmp_path)
    del env["PARTYREG_SITE_URL"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "PARTYREG_SITE_URL" in result.stderr


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
# The manifest of collected static files is a deployment step, not a setting: plain storage.
settings.STORAGES = {{
    **settings.STORAGES,
    "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
}}
secure = Client(HTTP_HOST="{host}").get("/accounts/login/", secure=True)
plain = Client(HTTP_HOST="{host}").get("/accounts/login/")
cookies = {{name: dict(morsel) for name, morsel in secure.cookies.items()}}
print(json.dumps({{
    "debug": settings.DEBUG,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "secure": {{"status": secure.status_code, "headers": dict(secure.headers.items())}},
    "plain": {{"status": plain.status_code, "location": plain.get("Location")}},
    "cookies": cookies,
}}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    result = run(["-c", PROBE.format(host=HOST)], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_is_https_only(production):
    assert production["debug"] is False
    # Plain HTTP is sent to HTTPS.
    assert production["plain"]["status"] == 301
    assert production["plain"]["location"] == f"https://{HOST}/accounts/login/"
    assert production["secure"]["status"] == 200
    hsts = production["secure"]["headers"]["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600 and "includeSubDomains" in hsts


def test_production_cookies_are_https_only(production):
    assert production["session_cookie_secure"] and production["csrf_cookie_secure"]
    assert production["session_cookie_httponly"]
    # The login page sets the CSRF cookie: marked Secure, so it never travels over plain HTTP.
    csrf = production["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"].lower() in ("lax", "strict")


def test_production_pages_carry_the_security_headers(production):
    headers = production["secure"]["headers"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
