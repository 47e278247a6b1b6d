"""Health check, system checks, translations, settings read from the environment."""

import gettext
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from partyreg import checks

BASE_DIR = Path(settings.BASE_DIR)


def run_python(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter whose environment holds only ``env`` (and PATH)."""
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PARTYREG_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "partyreg.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in_subprocess(tmp_path, names: list[str], **env) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    result = run_python(code, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- /healthz ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


# --- System check for WeasyPrint's libraries ---------------------------------------------------


def _without(*missing_names):
    real = checks.load_library

    def fake(names):
        return None if any(n in missing_names for n in names) else real(names)

    return fake


def _ids(messages):
    return {m.id for m in messages}


def test_pdf_check_is_quiet_on_a_machine_with_the_libraries():
    assert checks.pdf_library_messages() == []
    assert checks.pdf_libraries_check(None) == []


def test_pdf_check_reports_missing_pango_as_error_naming_packages(monkeypatch):
    monkeypatch.setattr(checks, "load_library", _without("libpango-1.0.so.0"))

    messages = checks.pdf_library_messages()

    assert _ids(messages) == {"partyreg.E001"}
    (error,) = messages
    assert error.is_serious()
    assert "apt install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in error.hint


def test_pdf_check_reports_missing_pangoft2_as_error(monkeypatch):
    monkeypatch.setattr(checks, "load_library", _without("libpangoft2-1.0.so.0"))

    messages = checks.pdf_library_messages()

    assert _ids(messages) == {"partyreg.E003"}
    assert "libpangoft2-1.0-0" in messages[0].hint


def test_pdf_check_reports_missing_harfbuzz_subset_as_warning(monkeypatch):
    monkeypatch.setattr(checks, "load_library", _without("libharfbuzz-subset.so.0"))

    messages = checks.pdf_library_messages()

    assert _ids(messages) == {"partyreg.W001"}
    (warning,) = messages
    assert not warning.is_serious()
    assert "libharfbuzz-subset0" in warning.msg
    assert "libharfbuzz-subset0" in warning.hint


def test_pdf_check_refuses_pango_older_than_1_44(monkeypatch):
    class OldPango:
        @staticmethod
        def pango_version():
            return 14209  # 1.42.9

    real = checks.load_library
    monkeypatch.setattr(
        checks,
        "load_library",
        lambda names: OldPango() if names is checks.PANGO_NAMES else real(names),
    )

    messages = checks.pdf_library_messages()

    assert _ids(messages) == {"partyreg.E002"}
    assert "1.42.9" in messages[0].msg
    assert "1.44" in messages[0].msg


def test_pdf_check_reads_the_installed_pango_version():
    pango = checks.load_library(checks.PANGO_NAMES)

    assert checks.pango_version(pango) >= (1, 44, 0)


def test_manage_check_fails_at_error_level_when_pango_is_missing(monkeypatch):
    monkeypatch.setattr(checks, "load_library", _without("libpango-1.0.so.0"))

    with pytest.raises(SystemCheckError, match="partyreg.E001") as raised:
        call_command("check", fail_level="ERROR")

    assert "apt install libpango-1.0-0" in str(raised.value)


def test_manage_check_passes_at_error_level_with_only_the_harfbuzz_warning(monkeypatch, capsys):
    monkeypatch.setattr(checks, "load_library", _without("libharfbuzz-subset.so.0"))

    call_command("check", fail_level="ERROR")

    assert "partyreg.W001" in capsys.readouterr().err


def test_pdf_check_runs_without_importing_weasyprint(tmp_path):
    """`make run` calls this check first: it must answer on a machine where importing WeasyPrint
    would crash, so it may not load the URLs (whose views import WeasyPrint)."""
    result = run_python(
        "import sys, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('check', tags=['partyreg'], fail_level='ERROR')\n"
        "print('weasyprint loaded:', 'weasyprint' in sys.modules)\n",
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert "weasyprint loaded: False" in result.stdout


# --- compile_translations ----------------------------------------------------------------------


def _write_po(directory: Path, entries: dict[str, str], fuzzy: dict[str, str] | None = None):
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "vi",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    for msgid, msgstr in entries.items():
        catalogue.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    for msgid, msgstr in (fuzzy or {}).items():
        catalogue.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=["fuzzy"]))
    po_dir = directory / "vi" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    catalogue.save(str(po_dir / "django.po"))
    return po_dir / "django.po"


def test_compile_translations_writes_a_mo_that_gettext_reads(tmp_path, capsys):
    po_path = _write_po(
        tmp_path,
        {"Residence cell": "Chi bộ nơi cư trú", "Referral": "Giấy giới thiệu"},
        fuzzy={"Draft": "Bản nháp"},
    )

    call_command("compile_translations", locale_dirs=[tmp_path])

    with open(po_path.with_suffix(".mo"), "rb") as mo_file:
        translations = gettext.GNUTranslations(mo_file)
    assert translations.gettext("Residence cell") == "Chi bộ nơi cư trú"
    assert translations.gettext("Referral") == "Giấy giới thiệu"
    # Like msgfmt, fuzzy entries are left out: an unchecked translation shows the English.
    assert translations.gettext("Draft") == "Draft"
    assert "Compiled 1 translation catalogue(s)." in capsys.readouterr().out


def test_compile_translations_names_a_broken_po_file(tmp_path):
    po_dir = tmp_path / "vi" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "django.po").write_text('msgid "a"\nmsgstr "b"\nstray text\n', encoding="utf-8")

    with pytest.raises(CommandError, match=r"django\.po.*line 3"):
        call_command("compile_translations", locale_dirs=[tmp_path])

    assert not (po_dir / "django.mo").exists()


def test_compile_translations_leaves_installed_packages_alone():
    from partyreg.management.commands.compile_translations import locale_directories

    directories = locale_directories()

    assert all(BASE_DIR.resolve() in d.resolve().parents for d in directories)
    assert not any(".venv" in d.parts or "site-packages" in d.parts for d in directories)


# --- Settings from the environment -------------------------------------------------------------


def test_settings_parse_database_url(tmp_path):
    values = settings_in_subprocess(
        tmp_path,
        ["DATABASES"],
        DATABASE_URL="postgres://partyreg:s3cret@db.internal:5433/partyreg_prod",
    )

    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "partyreg_prod"
    assert database["USER"] == "partyreg"
    assert database["PASSWORD"] == "s3cret"
    assert database["HOST"] == "db.internal"
    assert database["PORT"] == 5433
    assert database["CONN_HEALTH_CHECKS"] is True


def test_settings_without_database_url_use_sqlite_under_var(tmp_path):
    values = settings_in_subprocess(tmp_path, ["DATABASES"])

    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "var" / "partyreg.sqlite3")


def test_settings_read_workflow_numbers_from_the_environment(tmp_path):
    values = settings_in_subprocess(
        tmp_path,
        ["PARTYREG"],
        PARTYREG_REFERRAL_REPORT_DAYS="45",
        PARTYREG_COMMENT_DEADLINE_DAYS="10",
    )

    assert values["PARTYREG"]["REFERRAL_REPORT_DAYS"] == 45
    assert values["PARTYREG"]["COMMENT_DEADLINE_DAYS"] == 10


def test_settings_read_the_trusted_proxies_from_the_environment(tmp_path):
    names = ["PARTYREG_TRUSTED_PROXIES", "AXES_CLIENT_IP_CALLABLE"]
    assert settings_in_subprocess(tmp_path, names) == {
        "PARTYREG_TRUSTED_PROXIES": 0,
        "AXES_CLIENT_IP_CALLABLE": "partyreg.web.client_address",
    }
    values = settings_in_subprocess(tmp_path, names, PARTYREG_TRUSTED_PROXIES="1")
    assert values["PARTYREG_TRUSTED_PROXIES"] == 1


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_python("import django; django.setup()", tmp_path, DJANGO_PRODUCTION="1")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_deploy_check_passes_with_no_warnings_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PARTYREG_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_PRODUCTION": "1",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "partyreg.example.org",
            "PARTYREG_SITE_URL": "https://partyreg.example.org",
            "DATABASE_URL": "postgres://partyreg@db.invalid:5432/partyreg",
            "REDIS_URL": "redis://redis.invalid:6379/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- Static files as production serves them ----------------------------------------------------


def test_static_files_collect_with_hashed_names(settings, tmp_path):
    """Production stores static files under hashed names; a reference to a file that is not
    shipped (a source map, a font) would fail the build, as it would fail the Docker image."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert manifest["paths"]["vendor/bootstrap/bootstrap.min.css"] in manifest["paths"].values()
    assert (tmp_path / "static" / manifest["paths"]["vendor/htmx/htmx.min.js"]).exists()


def test_make_run_serves_with_its_own_address_as_the_site_address():
    """Links in e-mail and on sheets name the address `make run` serves, not a fixed one."""
    result = subprocess.run(
        ["make", "-n", "run", "HOST=192.0.2.7", "PORT=8123"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PARTYREG_SITE_URL"},
    )
    assert result.returncode == 0, result.stderr
    (serve,) = [line for line in result.stdout.splitlines() if "runserver" in line]
    assert "PARTYREG_SITE_URL=${PARTYREG_SITE_URL:-http://192.0.2.7:8123}" in serve
    assert serve.rstrip().endswith("runserver 192.0.2.7:8123")


def _fake_machine(tmp_path, *, uid: int, installed: set[str]) -> dict:
    """A PATH whose id and dpkg-query answer as a machine with ``installed`` packages would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    known = " ".join(sorted(installed))
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/sh\nfor p in " + known + '; do [ "$p" = "$3" ] && '
        'printf "install ok installed" && exit 0; done\nexit 1\n'
    )
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_make_names_the_apt_line_for_missing_packages_when_not_root(tmp_path):
    env = _fake_machine(tmp_path, uid=1000, installed={"libpango-1.0-0"})
    result = subprocess.run(
        ["make", "--no-print-directory", "system-packages"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "sudo apt install libpangoft2-1.0-0 libharfbuzz-subset0" in result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_make_installs_missing_test_packages_as_root(tmp_path):
    env = _fake_machine(tmp_path, uid=0, installed={"libpango-1.0-0", "libpangoft2-1.0-0"})
    result = subprocess.run(
        ["make", "--no-print-directory", "test-system-packages"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    installs = (tmp_path / "apt.log").read_text()
    assert "libharfbuzz-subset0" in installs and "poppler-utils" in installs
    assert "chromium" in installs and "libpango-1.0-0" not in installs
