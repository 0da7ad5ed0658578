"""Settings come from the environment alone; bad values are clear errors at start-up."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.test import override_settings

from apps.core.checks import shared_cache_check

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "backoffice.example.com",
    "DJANGO_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMAIL_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _settings(*names: str, **env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = _run("-c", code, DJANGO_SETTINGS_MODULE="roundtable.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_bad_database_url_is_a_clear_error():
    result = _run("manage.py", "check", DATABASE_URL="postgress//nowhere")

    assert result.returncode != 0
    assert "DATABASE_URL is not a valid database URL: 'postgress//nowhere'" in result.stderr


def test_database_url_selects_postgresql():
    values = _settings("DATABASES", DATABASE_URL="postgres://app:pw@db.internal:5433/books")

    assert "'ENGINE': 'django.db.backends.postgresql'" in values["DATABASES"]
    assert "'HOST': 'db.internal'" in values["DATABASES"]
    assert "'PORT': 5433" in values["DATABASES"]


def test_without_database_url_the_database_is_an_sqlite_file_in_the_project():
    values = _settings("DATABASES")

    assert "django.db.backends.sqlite3" in values["DATABASES"]
    assert str(ROOT / "db.sqlite3") in values["DATABASES"]


def test_production_without_a_secret_key_refuses_to_start():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]

    result = _run("manage.py", "check", **env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_without_an_encryption_key_refuses_to_start():
    env = {**PRODUCTION}
    del env["DJANGO_FIELD_ENCRYPTION_KEYS"]

    result = _run("manage.py", "check", **env)

    assert result.returncode != 0
    assert "DJANGO_FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_production_without_redis_refuses_to_start_saying_why():
    env = {**PRODUCTION}
    del env["REDIS_URL"]

    result = _run("manage.py", "check", **env)

    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr
    assert "every web process must share" in result.stderr


def test_the_deployment_checks_flag_a_cache_each_process_keeps_for_itself():
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    shared = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ""}}

    with override_settings(CACHES=local):
        assert [message.id for message in shared_cache_check()] == ["core.W001"]
    with override_settings(CACHES=shared):
        assert shared_cache_check() == []


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_defaults_fail_the_deployment_checks():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on


def test_without_a_broker_celery_runs_tasks_eagerly():
    values = _settings("CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL")

    assert values == {
        "CELERY_TASK_ALWAYS_EAGER": "True",
        "CELERY_BROKER_URL": "memory://localhost/",
    }


def test_redis_url_becomes_the_broker_the_result_backend_and_the_cache():
    values = _settings(
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CACHES",
        REDIS_URL="redis://cache.internal:6379/2",
    )

    assert values["CELERY_TASK_ALWAYS_EAGER"] == "False"
    assert values["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"
    assert values["CELERY_RESULT_BACKEND"] == "redis://cache.internal:6379/2"
    assert "RedisCache" in values["CACHES"]


def test_email_url_configures_smtp():
    values = _settings(
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "587",
    }


def test_a_bucket_name_stores_files_in_s3():
    values = _settings("STORAGES", AWS_STORAGE_BUCKET_NAME="roundtable-documents")

    assert "storages.backends.s3.S3Storage" in values["STORAGES"]
