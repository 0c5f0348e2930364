"""GET /health/live and /health/ready: 200 when ready, 503 with the reason when not."""

import socket

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_live_answers_without_touching_dependencies(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_is_200_when_database_broker_and_migrations_are_fine(client):
    response = client.get("/health/ready")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database",
        "broker",
        "migrations",
        "encryption",
    }
    assert set(body["heartbeat"]) >= {"beat_sent_at", "worker_ran_at", "beat_stale", "worker_stale"}


@pytest.mark.django_db
def test_ready_is_503_naming_the_broker_when_redis_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/0"
    settings.BROKER_SCHEME = "redis"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}

    response = client.get("/health/ready")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert "broker unreachable" in body["checks"]["broker"]["detail"]
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_ready_is_503_when_the_filesystem_broker_folder_is_missing(client, settings, tmp_path):
    missing = str(tmp_path / "gone")
    settings.BROKER_SCHEME = "filesystem"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": missing,
        "data_folder_out": missing,
        "control_folder": missing,
    }

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert missing in response.json()["checks"]["broker"]["detail"]


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_naming_the_database_when_it_is_unreachable(client, tmp_path):
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-dir" / "db.sqlite3")
    else:
        connection.settings_dict["PORT"] = unused_port()
    try:
        response = client.get("/health/ready")
    finally:
        connection.close()
        connection.settings_dict.update(original)

    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["ok"] is False
    assert "database unreachable" in body["checks"]["database"]["detail"]
    assert body["checks"]["migrations"]["ok"] is False


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_listing_an_unapplied_migration(client):
    recorder = MigrationRecorder(connection)
    # The newest migration of the core app: nothing depends on it, so exactly one is unapplied.
    app, name = next(node for node in MigrationLoader(connection).graph.leaf_nodes() if node[0] == "core")
    recorder.record_unapplied(app, name)
    try:
        response = client.get("/health/ready")
    finally:
        recorder.record_applied(app, name)

    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["migrations"] == {"ok": False, "detail": f"1 unapplied: core.{name}"}
