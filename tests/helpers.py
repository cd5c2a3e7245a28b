"""Helpers shared by the test modules: the database snapshot a refusal must leave unchanged,
the guard's message as the page shows it, driving a case through the services to a stage,
and a scene built once per module.
"""

import datetime
import re
import zoneinfo
from collections import Counter
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings

from tests.factories import make_teacher
from tests.training import complete_training, lifecycle_tasks
from workflows.models import (
    Annex2Row,
    Attachment,
    AuditEvent,
    Case,
    CaseCopy,
    CaseMentor,
    CaseProcess,
    CaseState,
    CaseTask,
    MentorOpinion,
    Notification,
    SemesterWork,
    TaskComment,
    TaskReminder,
    TrainingRecord,
)
from workflows.models.audit import TRAIL_ACCESS_ACTIONS
from workflows.services import cases as svc

# A weekday inside the autumn 2026 semester: scenes that need this semester's 典型案例 and 论文
# tasks stand on it, whatever day the suite runs (see ``in_semester`` in conftest).
SEMESTER_NOW = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def snapshot() -> dict:
    """Everything a refused request must leave exactly as it was."""
    return {
        "case_count": Case.objects.count(),
        "cases": sorted(Case.objects.values_list("id", "state", "paused_from", "org_id")),
        "mentors": sorted(CaseMentor.objects.values_list("id", "case_id", "teacher_id", "status")),
        "tasks_by_status": Counter(CaseTask.objects.values_list("status", flat=True)),
        "tasks": sorted(CaseTask.objects.values_list("id", "status", "owner_id")),
        "processes": sorted(CaseProcess.objects.values_list("id", "status")),
        # A page that answers 200 with a trail (the audit page, the search) logs that read
        # (TRAIL_ACCESS_ACTIONS, workflows/services/trail.py); everything else must stay as it was.
        # tests/test_audit_workspace.py checks that a refused request logs not even the read.
        "audit": AuditEvent.objects.exclude(action__in=TRAIL_ACCESS_ACTIONS).count(),
        "annex2": Annex2Row.objects.count(),
        "records": TrainingRecord.objects.count(),
        "opinions": MentorOpinion.objects.count(),
        "attachments": Attachment.objects.count(),
        "works": sorted(SemesterWork.objects.values_list("id", "status")),
        "reminders": TaskReminder.objects.count(),
        "notifications": sorted(Notification.objects.values_list("id", "read_at")),
        # 抄送 and 评论 (issue 11): a copy's revocation and first reading count too.
        "copies": sorted(CaseCopy.objects.values_list("id", "revoked_at", "read_at")),
        "comments": TaskComment.objects.count(),
    }


def alert_text(response) -> str:
    """The guard's message as the page shows it (the red alert box)."""
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith("text/html"):
        return ""
    found = re.findall(r'class="sp-error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return unescape(" ".join(found)).strip()


def refused(response, status: int, *fragments: str) -> str:
    """Assert the status and that the alert box names what is wrong."""
    text = alert_text(response)
    assert response.status_code == status, (response.status_code, text)
    assert text, "the refusal must explain itself"
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


def open_human(case) -> list[CaseTask]:
    return lifecycle_tasks(case)


def one_open(case) -> CaseTask:
    (task,) = open_human(case)
    return task


def drive(case, to, *, officer, mentors, secretary=None, reviewer=None, city_admin=None) -> Case:
    """Push a case through the services until it reaches state ``to``."""
    case.refresh_from_db()
    while case.state != to:
        if case.state == CaseState.REGISTERED:
            svc.case_pair(actor=officer, task_id=one_open(case).pk, mentor_ids=[m.pk for m in mentors])
        elif case.state == CaseState.PAIRED:
            for task in open_human(case):
                svc.mentor_accept(actor=task.owner, task_id=task.pk)
        elif case.state == CaseState.TRAINING:
            complete_training(case)
            svc.case_submit(actor=officer, task_id=one_open(case).pk)
        elif case.state == CaseState.BRANCH_REVIEW:
            svc.case_approve(actor=secretary, task_id=one_open(case).pk)
        elif case.state == CaseState.UNIT_REVIEW:
            svc.case_approve(actor=reviewer, task_id=one_open(case).pk)
        elif case.state == CaseState.CITY_FILING:
            svc.case_file(actor=city_admin, task_id=one_open(case).pk, year=2026)
        else:  # pragma: no cover - a test asked for an unreachable stage
            raise AssertionError(f"cannot drive a case from {case.state} to {to}")
        case.refresh_from_db()
    if to == CaseState.TRAINING:
        complete_training(case)
    return case


def new_case(w, name, to, *, mentors=None, kind="1", **teacher_kw) -> Case:
    teacher = make_teacher(name, w.branch, is_backbone=True, **teacher_kw)
    case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind=kind)
    return drive(
        case,
        to,
        officer=w.officer,
        mentors=mentors or [w.member_mentor],
        secretary=w.secretary,
        reviewer=w.reviewer,
        city_admin=w.city_admin,
    )


def scene_once(build, *, now=SEMESTER_NOW):
    """A module-scoped fixture that builds ``build(files)`` once, inside a transaction that is
    rolled back when the module ends, as Django's ``TestCase.setUpTestData`` does.

    Each test that also asks for ``db`` runs in its own savepoint on top of it, so what a test
    changes is gone before the next one. The clock stands at ``now`` for the whole module, and
    files the scene writes (attachments, exports) live in one folder of the module's, which
    the module's tests keep using (see ``module_media``).
    """

    @pytest.fixture(scope="module")
    def _built(django_db_setup, django_db_blocker, tmp_path_factory):
        files: Path = tmp_path_factory.mktemp("scene")
        media = {"PRIVATE_MEDIA_ROOT": files / "attachments", "EXPORTS_ROOT": files / "exports"}
        with (
            mock.patch("django.utils.timezone.now", lambda: now),
            django_db_blocker.unblock(),
            transaction.atomic(),
            override_settings(PASSWORD_HASHERS=FAST_HASHERS, **media),
        ):
            scene = build()
            scene.media = media
            yield scene
            transaction.set_rollback(True)

    return _built


def module_media(settings, built: SimpleNamespace) -> None:
    """Point this test's file stores at the module scene's (instead of a fresh folder per test)."""
    for name, path in built.media.items():
        setattr(settings, name, path)
