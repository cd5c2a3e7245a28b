"""The case as of any moment (issue 10, part 4): ``workflows.as_of``, the case page's ?as_of=…
and ``manage.py case_as_of``.

One 类别2 case is driven through the services with the clock stepping forward: pairing, a
record and its correction, a mentor change (重新结对), semester work, 培养人意见, a 退回 and
completion. At five moments the facts the case page shows today are saved (from the rows and
from the page itself); afterwards each moment rebuilt from the trail must equal what was saved,
through the function, the page and the command. The scene is built once for the module inside
a transaction that is rolled back at the end; each test runs in a savepoint.
"""

import datetime
import json
import re
import zoneinfo
from html import unescape
from io import StringIO
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_teacher, make_world
from tests.helpers import FAST_HASHERS, one_open, snapshot
from tests.training import PDF, training_tasks
from workflows import as_of, selectors
from workflows.flows import OPEN_TASK_STATUSES, CaseFlow
from workflows.models import CaseMentor, CaseState
from workflows.models.tasks import CaseTask
from workflows.services import cases as svc
from workflows.services import records, training
from workflows.services.attachments import as_upload
from workflows.services.locking import locked_case

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def moment(month, day, hour=10, minute=0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=TZ)


class Clock:
    """``timezone.now()`` is ``clock.now``; tests move it forward."""

    def __init__(self, now):
        self.now = now

    def patches(self):
        # viewflow's Task.created is ``default=timezone.now`` and its activations call a ``now``
        # imported by name, both bound before any test patches the module attribute: they are
        # pointed at the same clock (in production they all read the one real clock).
        created = CaseTask._meta.get_field("created")
        return (
            mock.patch("django.utils.timezone.now", lambda: self.now),
            mock.patch.object(created, "_get_default", lambda: timezone.now()),
            mock.patch("viewflow.workflow.activation.now", lambda: self.now),
        )


# --- what the case page shows today ------------------------------------------------------------


def live_facts(case, viewer) -> dict:
    """The case page's facts from today's rows, in ``CaseView.facts()``'s shape."""
    case.refresh_from_db()
    tasks = selectors.tasks_in_scope(viewer).filter(case=case, status__in=OPEN_TASK_STATUSES).order_by("created", "id")
    return {
        "state": case.state,
        "paused_from": case.paused_from,
        "mentors": [{"name": m.teacher.name, "status": m.status} for m in selectors.mentors_of_case(case)],
        "open_tasks": [
            {"id": t.pk, "title": t.title, "owner": t.owner.get_username() if t.owner_id else None} for t in tasks
        ],
        "records": [
            {
                "id": r.pk,
                "date": r.date.isoformat(),
                "kind": r.kind,
                "content": r.content,
                "mentor": r.mentor.teacher.name,
                "version": r.version,
            }
            for r in selectors.current_records(case)
        ],
        "works": [
            {"semester": w.semester_label, "item": w.item, "status": w.status, "title": w.title}
            for w in selectors.case_works(case)
        ],
        "opinions": [{"mentor": o.mentor.teacher.name, "text": o.text} for o in selectors.current_opinions(case)],
        "gate": training.gate_missing(case) if case.state == CaseState.TRAINING else None,
    }


def comparable(facts: dict) -> dict:
    return {
        k: facts[k] for k in ("state", "paused_from", "mentors", "open_tasks", "records", "works", "opinions", "gate")
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _rows(html: str, marker: str) -> list[list[str]]:
    """The data rows of the table that follows ``marker`` (each cell's text)."""
    start = html.find(marker)
    if start < 0:
        return []
    table = html[start : html.find("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows if "<td" in row]


def _card(html: str, marker: str) -> str:
    start = html.find(marker)
    return html[start : html.find('<div class="sp-card', start + 1)] if start >= 0 else ""


def page_facts(html: str, *, as_of_page: bool) -> dict:
    """What a reader sees on the page: the stage, mentors, tasks and holders, records, works,
    opinions and the checklist, from the live page's markup or the as-of include's."""
    if as_of_page:
        state = _text(re.search(r'id="as-of-state">(.*?)</dd>', html, re.S).group(1))
        mentors = _text(re.search(r'id="as-of-mentors">(.*?)</dd>', html, re.S).group(1))
        tasks, recs, works = "as-of-tasks", 'id="as-of-records"', 'id="as-of-works"'
        opinions, gate = _card(html, 'id="as-of-opinions"'), _card(html, 'id="as-of-gate"')
    else:
        state = _text(re.search(r'id="case-state">(.*?)</dd>', html, re.S).group(1))
        block = re.search(r"<dt>培养人</dt><dd>(.*?)</dd>", html, re.S).group(1)
        mentors = re.sub(r"（[^）]*）", "", _text(block))  # the live page adds each mentor's 职务
        tasks, recs, works = "open-tasks", 'id="records"', 'id="works"'
        opinions, gate = _card(html, 'id="opinions"'), _card(html, 'id="gate-status"')
    return {
        "state": state,
        "mentors": re.sub(r"\s+", "", mentors),
        "tasks": [row[:3] for row in _rows(html, tasks)],
        "records": [row[:5] for row in _rows(html, recs)],
        "works": [row[:4] for row in _rows(html, works)],
        "opinions": [_text(p) for p in re.findall(r"<p[^>]*><strong>(.*?)</p>", opinions, re.S)],
        "gate": [_text(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", gate, re.S)],
    }


# --- the scene ------------------------------------------------------------------------------------

MOMENTS = {
    "paired_and_corrected": moment(2, 12, 12),
    "mentor_changed": moment(3, 1, 12),
    "works_accepted": moment(3, 5, 18),
    "returned": moment(8, 5, 12),
    "completed": moment(8, 6, 18),
}


def build(clock: Clock) -> SimpleNamespace:
    w = make_world()
    s = SimpleNamespace(w=w, saved={}, pages={}, trainee_pages={})
    trainee = w.candidate2  # 李党员, a party member: 类别2
    s.new_mentor = make_teacher("吴骨干", w.school, is_backbone=True, user=True, position="教研组长")
    auditor, pupil = Client(), Client()
    auditor.force_login(w.auditor)
    pupil.force_login(trainee.user)

    def save(name):
        s.saved[name] = live_facts(s.case, w.auditor)
        auditor.force_login(w.auditor)  # the clock jumps by weeks: a fresh session each time
        pupil.force_login(trainee.user)
        url = reverse("inbox:case", args=[s.case.pk])
        s.pages[name] = page_facts(auditor.get(url).content.decode(), as_of_page=False)
        s.trainee_pages[name] = page_facts(pupil.get(url).content.decode(), as_of_page=False)

    def step(month, day, hour=10, minute=0):
        clock.now = moment(month, day, hour, minute)

    # 登记造册, 结对 with 刘骨干, who accepts: 培养中 from 2 February.
    s.case = svc.case_register(actor=w.officer, teacher_id=trainee.pk, kind="2")
    svc.case_pair(actor=w.officer, task_id=one_open(s.case).pk, mentor_ids=[w.backbone_mentor.pk])
    step(2, 2, 9, 30)
    svc.mentor_accept(actor=w.backbone_mentor.user, task_id=one_open(s.case).pk)
    # A record, then its correction.
    step(2, 10)
    s.record = records.record_write(
        actor=w.backbone_mentor.user,
        case_id=s.case.pk,
        date=datetime.date(2026, 2, 5),
        kind="observation",
        content="听课指导：第一次",
    )
    step(2, 12)
    s.correction = records.record_correct(
        actor=w.backbone_mentor.user,
        record_id=s.record.pk,
        date=datetime.date(2026, 2, 5),
        kind="observation",
        content="听课指导：第一次（补记评课意见）",
        reason="补充评课意见",
    )
    clock.now = MOMENTS["paired_and_corrected"]
    save("paired_and_corrected")

    # 重新结对: 刘骨干 leaves, 吴骨干 is named and has not yet answered.
    step(3, 1)
    leaving = CaseMentor.objects.get(case=s.case, teacher=w.backbone_mentor)
    svc.case_repair(
        actor=w.officer,
        case_id=s.case.pk,
        leaving_mentor_id=leaving.pk,
        new_mentor_ids=[s.new_mentor.pk],
        reason="刘骨干调往他校",
    )
    clock.now = MOMENTS["mentor_changed"]
    save("mentor_changed")

    # 吴骨干 accepts; the trainee submits the semester's two works, one is returned once.
    step(3, 2)
    svc.mentor_accept(actor=s.new_mentor.user, task_id=one_open(s.case).pk)
    step(3, 4)
    for task in training_tasks(s.case, CaseFlow.submit_work):
        training.work_submit(
            actor=trainee.user, task_id=task.pk, title="课例研究", summary="摘要", upload=as_upload("成果.pdf", PDF)
        )
    first, second = training_tasks(s.case, CaseFlow.review_work)
    training.work_review(actor=s.new_mentor.user, task_id=first.pk, accept=True)
    training.work_review(actor=s.new_mentor.user, task_id=second.pk, accept=False, note="请补充数据")
    step(3, 5)
    (resubmit,) = training_tasks(s.case, CaseFlow.submit_work)
    training.work_submit(
        actor=trainee.user,
        task_id=resubmit.pk,
        title="课例研究（修改稿）",
        summary="摘要",
        upload=as_upload("二稿.pdf", PDF),
    )
    (review,) = training_tasks(s.case, CaseFlow.review_work)
    training.work_review(actor=s.new_mentor.user, task_id=review.pk, accept=True)
    clock.now = MOMENTS["works_accepted"]
    save("works_accepted")

    # The minimum period (6 months for 类别2) has passed: 培养人意见, 提交, 支部审核, then 退回.
    step(8, 3)
    with locked_case(s.case.pk) as locked:
        training.sync_obligations(locked)
    training.opinion_write(actor=s.new_mentor.user, case_id=s.case.pk, text="培养期满，同意提交支部审核。")
    svc.case_submit(actor=w.officer, task_id=one_open(s.case).pk)
    step(8, 4)
    svc.case_approve(actor=w.secretary, task_id=one_open(s.case).pk)
    step(8, 5)
    svc.case_return(actor=w.reviewer, task_id=one_open(s.case).pk, reason="请补充支部意见")
    clock.now = MOMENTS["returned"]
    save("returned")

    # Through to completion.
    step(8, 6)
    svc.case_approve(actor=w.secretary, task_id=one_open(s.case).pk)
    svc.case_approve(actor=w.reviewer, task_id=one_open(s.case).pk)
    svc.case_file(actor=w.city_admin, task_id=one_open(s.case).pk, year=2026)
    clock.now = MOMENTS["completed"]
    save("completed")
    return s


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker, tmp_path_factory):
    files = tmp_path_factory.mktemp("as_of")
    clock = Clock(moment(2, 2, 9))
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(
            PASSWORD_HASHERS=FAST_HASHERS,
            PRIVATE_MEDIA_ROOT=files / "attachments",
            EXPORTS_ROOT=files / "exports",
        ),
    ):
        patches = clock.patches()
        with patches[0], patches[1], patches[2]:
            built = build(clock)
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def s(scene, db):
    # After the build the clock stands after the last moment, as "today" does for an auditor.
    with mock.patch("django.utils.timezone.now", lambda: moment(9, 1)):
        yield scene


def _as_of_url(case, when: str, compare: str | None = None) -> str:
    url = reverse("inbox:case", args=[case.pk]) + "?" + f"as_of={when}"
    return url + (f"&compare={compare}" if compare else "")


def _iso(at: datetime.datetime) -> str:
    return at.isoformat().replace("+", "%2B")


def test_the_scene_passed_through_every_stage(s):
    assert [s.saved[m]["state"] for m in MOMENTS] == ["training", "paired", "training", "branch_review", "completed"]
    assert s.saved["mentor_changed"]["mentors"] == [
        {"name": "刘骨干", "status": "left"},
        {"name": "吴骨干", "status": "pending"},
    ]
    # Today the mutable rows have moved on: 吴骨干 accepted, no open task, the case completed.
    assert live_facts(s.case, s.w.auditor)["state"] == "completed"


@pytest.mark.parametrize("name", list(MOMENTS))
def test_the_function_rebuilds_each_moment(s, name):
    view = as_of.case_as_of(s.case, MOMENTS[name])
    assert comparable(view.facts()) == comparable(s.saved[name])


def test_a_corrected_record_shows_in_the_version_current_then(s):
    before = as_of.case_as_of(s.case, moment(2, 11))
    assert [(r["id"], r["version"]) for r in before.facts()["records"]] == [(s.record.pk, 1)]
    assert before.superseded == []
    after = as_of.case_as_of(s.case, MOMENTS["paired_and_corrected"])
    assert [(r["id"], r["version"]) for r in after.facts()["records"]] == [(s.correction.pk, 2)]
    assert [(r.id, r.superseded_by) for r in after.superseded] == [(s.record.pk, s.correction.pk)]


@pytest.mark.parametrize("name", list(MOMENTS))
def test_the_page_as_of_each_moment_shows_what_the_page_showed_then(s, client, name):
    client.force_login(s.w.auditor)
    response = client.get(_as_of_url(s.case, _iso(MOMENTS[name])))
    assert response.status_code == 200
    html = response.content.decode()
    label = timezone.localtime(MOMENTS[name]).strftime("%Y-%m-%d %H:%M:%S")
    assert f"以下为 {label} 时的状态" in html
    assert page_facts(html, as_of_page=True) == s.pages[name]
    # Read-only: no action buttons (the page's own forms post), no links into the tasks.
    main = html[html.index('id="as-of-banner"') :]
    assert 'method="post"' not in main
    assert 'href="/inbox/tasks/' not in main


@pytest.mark.parametrize("name", list(MOMENTS))
def test_the_trainee_sees_as_of_only_what_they_saw(s, client, name):
    client.force_login(s.w.candidate2.user)
    html = client.get(_as_of_url(s.case, _iso(MOMENTS[name]))).content.decode()
    assert page_facts(html, as_of_page=True) == s.trainee_pages[name]
    assert "school_officer" not in html  # no usernames for a trainee
    assert "认领" not in _text(_card(html, "截至当时的办理历史"))


def test_a_date_means_the_end_of_that_day(s, client):
    client.force_login(s.w.auditor)
    html = client.get(_as_of_url(s.case, "2026-03-01")).content.decode()
    assert "以下为 2026-03-01 23:59:59 时的状态" in html
    assert page_facts(html, as_of_page=True) == s.pages["mentor_changed"]


@pytest.mark.parametrize("name", list(MOMENTS))
def test_the_command_prints_each_moment(s, name):
    out = StringIO()
    call_command("case_as_of", str(s.case.pk), "--at", MOMENTS[name].isoformat(), "--format", "json", stdout=out)
    facts = json.loads(out.getvalue())
    assert comparable(facts) == comparable(s.saved[name])


def test_the_command_text_and_a_date(s):
    out = StringIO()
    call_command("case_as_of", str(s.case.pk), "--at", "2026-03-01", "--format", "text", stdout=out)
    text = out.getvalue()
    assert "以下为 2026-03-01 23:59:59 时的状态" in text
    assert "阶段：结对" in text
    assert "刘骨干 · 已离任；吴骨干 · 待接受" in text


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "2026-11-01T25:00", ""])
def test_a_bad_moment_answers_400_and_changes_nothing(s, client, value):
    client.force_login(s.w.auditor)
    before = snapshot()
    response = client.get(_as_of_url(s.case, value))
    assert response.status_code == 400
    message = _text(re.search(r'id="guard-message">(.*?)</div>', response.content.decode(), re.S).group(1))
    assert message == f"时间“{value}”无法识别，请填写 2026-11-01 或 2026-11-01T10:00+08:00 格式。"
    assert snapshot() == before


def test_a_moment_before_registration_answers_400(s, client):
    client.force_login(s.w.auditor)
    response = client.get(_as_of_url(s.case, "2026-01-15"))
    assert response.status_code == 400
    assert "尚未建档" in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "other_officer", "other_reviewer"])
def test_outsiders_and_another_county_get_404(s, client, who):
    client.force_login(getattr(s.w, who))
    before = snapshot()
    assert client.get(_as_of_url(s.case, "2026-03-01")).status_code == 404
    assert client.get(_as_of_url(s.case, "2026-03-01", "2026-08-06")).status_code == 404
    assert snapshot() == before


def test_a_mentor_who_has_left_no_longer_opens_the_case(s, client):
    # Scope is the case page's, today: 刘骨干 left in March, so not even March is theirs to see.
    client.force_login(s.w.backbone_mentor.user)
    assert client.get(_as_of_url(s.case, "2026-02-12")).status_code == 404


def test_the_compare_view_lists_the_changes(s, client):
    client.force_login(s.w.auditor)
    url = _as_of_url(s.case, _iso(MOMENTS["paired_and_corrected"]), _iso(MOMENTS["works_accepted"]))
    html = client.get(url).content.decode()
    diff = _card(html, 'id="as-of-diff"')
    assert "阶段" not in _text(re.search(r"<ul>(.*?)</ul>", diff, re.S).group(1))  # training → training
    assert "培养人 刘骨干：已结对 → 已离任" in _text(diff)
    assert "培养人 吴骨干：— → 已结对" in _text(diff)
    assert "2026年春季学期典型案例：待提交 → 已通过" in _text(diff)
    events = _rows(diff, 'id="events"')
    assert {row[4] for row in events} >= {"重新结对", "接受结对", "提交学期成果", "学期成果退回修改"}
    assert all("2026-02-12" < row[1] <= "2026-03-05 18:00:00" for row in events)

    html = client.get(_as_of_url(s.case, "2026-08-04", "2026-08-06")).content.decode()
    diff = _text(_card(html, 'id="as-of-diff"'))
    assert "阶段：单位审核 → 已完成" in diff
    assert "办结或撤销：单位审核" in diff


def test_case_diff_function(s):
    diff = as_of.case_diff(s.case, MOMENTS["mentor_changed"], MOMENTS["returned"])
    assert diff["state"] == ("结对", "支部审核")
    assert [o.mentor_name for o in diff["opinions"]] == ["吴骨干"]
    assert [t.title for t in diff["tasks_opened"]] == ["支部审核"]
    assert "接受结对" in [t.title for t in diff["tasks_closed"]][0]


def test_compare_must_be_later(s, client):
    client.force_login(s.w.auditor)
    response = client.get(_as_of_url(s.case, "2026-08-06", "2026-03-01"))
    assert response.status_code == 400
    assert "须晚于起始时间" in response.content.decode()


def test_decline_claims_and_a_pause_are_replayed(s):
    """A 谢绝 (the other mentor released), a queued step claimed and put back, and 暂停/恢复 (the
    paused days the gate leaves out): each moment saved, then rebuilt."""
    from workflows.services import tasks as task_services

    w, clock, saved = s.w, Clock(moment(3, 2)), {}
    patches = clock.patches()
    with patches[0], patches[1], patches[2]:

        def save(name, month, day, hour):
            clock.now = moment(month, day, hour)
            saved[name] = (clock.now, live_facts(case, w.auditor))

        trainee = make_teacher("钱骨干", w.branch, is_backbone=True, user=True)
        case = svc.case_register(actor=w.officer, teacher_id=trainee.pk, kind="1")
        svc.case_pair(actor=w.officer, task_id=one_open(case).pk, mentor_ids=[w.member_mentor.pk, w.member_mentor2.pk])
        clock.now = moment(3, 3)
        decline = CaseTask.objects.get(case=case, owner=w.member_mentor2.user, status__in=OPEN_TASK_STATUSES)
        svc.mentor_decline(actor=w.member_mentor2.user, task_id=decline.pk, reason="本学期外出支教")
        save("declined", 3, 3, 12)
        clock.now = moment(3, 3, 13)
        task_services.task_claim(actor=w.officer, task_id=one_open(case).pk)
        save("claimed", 3, 3, 14)
        clock.now = moment(3, 3, 15)
        task_services.task_unclaim(actor=w.officer, task_id=one_open(case).pk)
        save("put_back", 3, 3, 16)
        clock.now = moment(3, 4)
        svc.case_pair(actor=w.officer, task_id=one_open(case).pk, mentor_ids=[w.member_mentor.pk])
        clock.now = moment(3, 5)
        svc.mentor_accept(actor=w.member_mentor.user, task_id=one_open(case).pk)
        clock.now = moment(3, 10)
        svc.case_pause(actor=w.officer, case_id=case.pk, reason="病假")
        save("paused", 3, 15, 10)
        clock.now = moment(3, 15, 11)
        svc.case_resume(actor=w.officer, case_id=case.pk)
        save("resumed", 3, 20, 12)

    assert saved["declined"][1]["mentors"] == [
        {"name": "张正式", "status": "left"},
        {"name": "陈正式", "status": "declined"},
    ]
    assert [t["owner"] for t in saved["claimed"][1]["open_tasks"]] == ["school_officer"]
    assert [t["owner"] for t in saved["put_back"][1]["open_tasks"]] == [None]
    assert saved["paused"][1]["paused_from"] == "training"
    assert "暂停 5 天不计" in saved["resumed"][1]["gate"][0]  # paused 10 March, resumed 15 March
    for name, (at, facts) in saved.items():
        assert comparable(as_of.case_as_of(case, at).facts()) == comparable(facts), name


def test_the_current_mentor_opens_it_with_the_mentors_visibility(s, client):
    client.force_login(s.new_mentor.user)
    before = snapshot()
    html = client.get(_as_of_url(s.case, "2026-03-05")).content.decode()
    assert "以下为 2026-03-05 23:59:59 时的状态" in html
    assert "正式党员" not in html  # a 类别2 mentor is not shown the trainee's 政治面貌
    assert "school_officer" not in html  # nor anyone's username
    assert snapshot() == before
    client.force_login(s.w.auditor)
    html = client.get(_as_of_url(s.case, "2026-03-05")).content.decode()
    # An official sees the 政治面貌; people are named, never by username (issue 11), for them too.
    assert "正式党员" in html and "school_officer" not in html and "学校党务干部" in html
