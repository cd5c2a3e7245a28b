"""manage.py tick, 催办, escalation and the notification centre."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from tests.flow_client import client_for
from tests.helpers import alert_text, new_case, refused, snapshot
from tests.training import lifecycle_tasks, training_tasks
from workflows.flows import CaseFlow
from workflows.models import AuditEvent, CaseState, CaseTask, Notification, TaskReminder, UnitPolicy
from workflows.services import cases as svc
from workflows.services.reminders import tick
from workflows.workdays import escalate_from

ROOT = Path(__file__).resolve().parent.parent


def _in_training(w, name="提醒测试"):
    case = new_case(w, name, CaseState.PAIRED)
    (accept,) = lifecycle_tasks(case)
    svc.mentor_accept(actor=accept.owner, task_id=accept.pk)
    (record,) = training_tasks(case, CaseFlow.record)
    return case, record


def _counts(task):
    return {
        key: (
            TaskReminder.objects.filter(task=task, key=key).count(),
            Notification.objects.filter(task=task, reminder__key=key).count(),
        )
        for key in ("due_soon", "overdue", "escalated")
    }


def test_tick_twice_sends_each_reminder_once(world, django_capture_on_commit_callbacks):
    w = world
    w.member_mentor.user.email = "mentor@example.org"
    w.member_mentor.user.save()
    case, task = _in_training(w)
    due = task.due_at

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):  # e-mail leaves after commit
            tick(now=now)

    # Three days before the due date (the unit's default): 即将到期, once.
    for _ in range(2):
        run(due - timedelta(days=2))
    assert _counts(task) == {"due_soon": (1, 1), "overdue": (0, 0), "escalated": (0, 0)}
    assert [m.to for m in mail.outbox] == [["mentor@example.org"]]
    assert "即将到期" in mail.outbox[0].subject
    # The day after: overdue, marked and reminded once.
    for _ in range(2):
        run(due + timedelta(days=1))
    task.refresh_from_db()
    assert task.overdue_at is not None and task.escalated_to is None
    assert _counts(task) == {"due_soon": (1, 1), "overdue": (1, 1), "escalated": (0, 0)}
    # Overdue by more than the unit's N working days: escalated to the branch above the mentor,
    # once (workflows/workdays.py: the due day plus 5 working days, whatever holidays fall between).
    UnitPolicy.objects.create(unit=w.county, escalate_after_days=5)
    escalate_at = escalate_from(due, 5)
    run(escalate_at - timedelta(minutes=1))
    task.refresh_from_db()
    assert task.escalated_to is None
    for _ in range(2):
        run(escalate_at + timedelta(minutes=1))
    task.refresh_from_db()
    assert task.escalated_to == w.branch
    assert _counts(task) == {"due_soon": (1, 1), "overdue": (1, 1), "escalated": (1, 1)}
    assert Notification.objects.get(task=task, kind="escalated").recipient == w.secretary
    assert len(mail.outbox) == 2  # the secretary has no address: no mail for the escalation
    actions = list(
        AuditEvent.objects.filter(case=case, action__in=["remind", "overdue", "escalate"])
        .order_by("id")
        .values_list("action", "actor_name", "role")
    )
    assert actions == [("remind", "系统", "system"), ("overdue", "系统", "system"), ("escalate", "系统", "system")]
    # The secretary sees it under 督办, with the unread count in the header.
    page = client_for(w.secretary).get("/inbox/escalated/").content.decode()
    assert "提醒测试" in page
    header = client_for(w.secretary).get("/inbox/").content.decode()
    assert 'id="unread-count">1<' in header


def test_notification_centre_marks_read_and_opens_the_task(world):
    w = world
    case, task = _in_training(w)
    tick(now=task.due_at + timedelta(hours=1))
    mentor = client_for(w.member_mentor.user)
    page = mentor.get("/inbox/notifications/").content.decode()
    assert "已逾期" in page and "提醒测试" in page
    assert 'id="unread-count">1<' in page
    (note,) = Notification.objects.filter(recipient=w.member_mentor.user)
    response = mentor.post(f"/inbox/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/inbox/tasks/{task.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'id="unread-count"' not in mentor.get("/inbox/").content.decode()
    # Someone else's notification is not there for the asking.
    assert client_for(w.officer).post(f"/inbox/notifications/{note.pk}/open/").status_code == 404


def test_urge_once_a_day_by_a_higher_level(world):
    w = world
    case, task = _in_training(w)
    url = f"/inbox/tasks/{task.pk}/urge/"
    # The school's officer is above the mentor: 催办 reaches the mentor.
    page = client_for(w.officer).get(f"/inbox/tasks/{task.pk}/").content.decode()
    assert 'id="urge-form"' in page
    response = client_for(w.officer).post(url, {"reason": "本月记录请尽快补上"})
    assert response.status_code == 302, alert_text(response)
    (note,) = Notification.objects.filter(task=task, kind="urged")
    assert note.recipient == w.member_mentor.user and "本月记录请尽快补上" in note.message
    event = AuditEvent.objects.get(case=case, action="urge")
    assert event.actor == w.officer and event.reason == "本月记录请尽快补上"
    # A second 催办 the same day, by anyone, is refused and changes nothing.
    before = snapshot()
    notes = Notification.objects.count()
    for user in (w.officer, w.reviewer):
        refused(client_for(user).post(url, {}), 409, "今天已由", "每天最多催办一次")
    assert snapshot() == before and Notification.objects.count() == notes
    # The mentor cannot urge himself; another county's officer does not see the task.
    refused(client_for(w.member_mentor.user).post(url, {}), 403, "上级")
    assert client_for(w.other_officer).post(url, {}).status_code == 404
    assert snapshot() == before


def test_urge_the_next_day_is_allowed(world, monkeypatch):
    w = world
    _case, task = _in_training(w)
    assert client_for(w.officer).post(f"/inbox/tasks/{task.pk}/urge/", {}).status_code == 302
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr("workflows.services.reminders.timezone.localdate", lambda *a: tomorrow)
    assert client_for(w.officer).post(f"/inbox/tasks/{task.pk}/urge/", {}).status_code == 302
    assert TaskReminder.objects.filter(task=task, key__startswith="urged:").count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two processes on one database")
@pytest.mark.django_db(transaction=True)
def test_two_tick_processes_at_once_send_each_reminder_once():
    from tests.factories import make_world

    w = make_world()
    tasks = []
    for n in range(12):
        _case, task = _in_training(w, f"并发{n}")
        tasks.append(task)
    now = timezone.now()
    # A third of the tasks due soon, a third just overdue, a third overdue long enough to escalate.
    for i, task in enumerate(tasks):
        due = now + [timedelta(days=1), -timedelta(days=1), -timedelta(days=30)][i % 3]
        CaseTask.objects.filter(pk=task.pk).update(due_at=due)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "tick"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    print("\n" + "\n".join(out.decode().strip() for out, _ in outputs))
    for i, task in enumerate(tasks):
        expected = [
            {"due_soon": (1, 1), "overdue": (0, 0), "escalated": (0, 0)},
            {"due_soon": (0, 0), "overdue": (1, 1), "escalated": (0, 0)},
            {"due_soon": (0, 0), "overdue": (1, 1), "escalated": (1, 1)},
        ][i % 3]
        assert _counts(task) == expected, (i, _counts(task))
    for action, n in (("remind", 4), ("overdue", 8), ("escalate", 4)):
        assert AuditEvent.objects.filter(action=action).count() == n
    # Both processes reported; between them they sent each reminder exactly once.
    sent = [re.search(r"到期提醒 (\d+) 条，逾期提醒 (\d+) 条，升级督办 (\d+) 条", out.decode()) for out, _ in outputs]
    assert all(sent), outputs
    assert [sum(int(m.group(k)) for m in sent) for k in (1, 2, 3)] == [4, 8, 4]


def test_a_pass_with_nothing_to_send_locks_nothing_and_does_not_grow_with_the_tasks(world):
    """A step reminded as overdue, its escalation not yet due, needs nothing until then: a pass
    decides that before taking any lock (a province holds tens of thousands of such steps)."""
    from django.test.utils import CaptureQueriesContext

    _case, first = _in_training(world, "甲学员")
    later = first.due_at + timedelta(hours=12)  # the morning after the due day (due: its end)
    tick(now=later)  # sends the 逾期提醒
    assert _counts(first)["overdue"] == (1, 1)
    with CaptureQueriesContext(connection) as one:
        report = tick(now=later + timedelta(minutes=1))
    assert report.overdue == 0
    for name in ("乙学员", "丙学员", "丁学员"):
        _in_training(world, name)
    tick(now=later)
    with CaptureQueriesContext(connection) as four:
        tick(now=later + timedelta(minutes=1))
    assert len(four) == len(one), "\n".join(q["sql"][:200] for q in four.captured_queries)
    assert not [q["sql"] for q in four.captured_queries if "FOR UPDATE" in q["sql"]]
    assert {key: n for key, n in _counts(first).items()} == {"due_soon": (0, 0), "overdue": (1, 1), "escalated": (0, 0)}
