"""``/healthz``: 200 when the database answers, 503 when it does not; no login needed."""

from unittest import mock

from django.db import OperationalError, connection
from django.test import Client


def test_healthz_answers_ok_without_login(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_runs_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert Client().get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_fails(db):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


def test_healthz_refuses_writes(db):
    assert Client().post("/healthz").status_code == 405


def test_healthz_is_not_redirected_to_https(db, settings):
    # Probes call over plain HTTP even where every page is redirected to HTTPS.
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
