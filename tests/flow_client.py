"""Driving cases through the real views, as the people who use them."""

from django.test import Client

from tests.training import lifecycle_tasks
from workflows.models import Case


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_tasks(case):
    """The case's open lifecycle steps (training work has its own helpers in tests.training)."""
    return lifecycle_tasks(case)


def the_open_task(case):
    (task,) = open_tasks(case)
    return task


def act(user, task, expect=302, **data):
    response = client_for(user).post(f"/inbox/tasks/{task.pk}/act/", data)
    assert response.status_code == expect, response.content.decode()[:2000]
    return response


def register(user, teacher, kind, expect=302):
    response = client_for(user).post("/inbox/cases/new/", {"teacher": teacher.pk, "kind": kind})
    assert response.status_code == expect, response.content.decode()[:2000]
    return Case.objects.filter(teacher=teacher, kind=kind).order_by("-id").first()
