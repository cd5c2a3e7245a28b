"""Plain ``make_*`` helpers and a small world of named people, as the programme has them."""

import datetime
import itertools
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from workflows.models import Organisation, OrgKind, PartyStatus, Role, RoleAssignment, Sex, Teacher

_seq = itertools.count(1)


def make_org(name, kind, parent=None) -> Organisation:
    return Organisation.objects.create(name=name, kind=kind, parent=parent)


def make_user(username, *, org=None, role=None, teacher=None, full_name=""):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, first_name=full_name)
    if org is not None and role is not None:
        RoleAssignment.objects.create(user=user, org=org, role=role)
    if teacher is not None:
        teacher.user = user
        teacher.save()
    return user


def make_teacher(
    name, org, *, party_status=PartyStatus.MASSES, is_backbone=False, birth=(1985, 3, 9), user=False, position=""
) -> Teacher:
    teacher = Teacher.objects.create(
        name=name,
        sex=Sex.FEMALE,
        birth_date=datetime.date(*birth),
        org=org,
        party_status=party_status,
        is_backbone=is_backbone,
        subject="语文",
        position=position,
    )
    if user:
        make_user(f"t{next(_seq)}", teacher=teacher, full_name=name)
    return teacher


@dataclass
class World:
    city: Organisation
    county: Organisation
    other_county: Organisation
    school: Organisation
    branch: Organisation
    direct: Organisation
    direct_branch: Organisation
    other_school: Organisation
    city_admin: object
    reviewer: object
    officer: object
    secretary: object
    other_officer: object
    other_reviewer: object
    direct_officer: object
    direct_secretary: object
    direct_reviewer: object
    auditor: object
    outsider: object
    candidate1: Teacher
    candidate2: Teacher
    direct_candidate: Teacher
    member_mentor: Teacher
    member_mentor2: Teacher
    backbone_mentor: Teacher
    probationary: Teacher
    direct_mentor: Teacher
    other_teacher: Teacher


def make_world() -> World:
    city = make_org("市委教育工委", OrgKind.CITY)
    county = make_org("赫山区教育局", OrgKind.COUNTY, city)
    other_county = make_org("桃江县教育局", OrgKind.COUNTY, city)
    school = make_org("赫山区第一中学", OrgKind.SCHOOL, county)
    branch = make_org("赫山一中第一党支部", OrgKind.BRANCH, school)
    other_school = make_org("桃江县第一中学", OrgKind.SCHOOL, other_county)
    direct = make_org("市一中（益阳师范）", OrgKind.DIRECT, city)
    direct_branch = make_org("市一中语文党支部", OrgKind.BRANCH, direct)

    w = dict(
        city=city,
        county=county,
        other_county=other_county,
        school=school,
        branch=branch,
        direct=direct,
        direct_branch=direct_branch,
        other_school=other_school,
    )
    w["city_admin"] = make_user("city_admin", org=city, role=Role.CITY_ADMIN, full_name="市级管理员")
    w["reviewer"] = make_user("heshan_reviewer", org=county, role=Role.REVIEWER, full_name="赫山审核人")
    w["officer"] = make_user("school_officer", org=school, role=Role.OFFICER, full_name="学校党务干部")
    w["secretary"] = make_user("branch_secretary", org=branch, role=Role.BRANCH_SECRETARY, full_name="支部书记")
    w["other_officer"] = make_user("taojiang_officer", org=other_school, role=Role.OFFICER, full_name="桃江党务干部")
    w["other_reviewer"] = make_user("taojiang_reviewer", org=other_county, role=Role.REVIEWER, full_name="桃江审核人")
    w["direct_officer"] = make_user("direct_officer", org=direct, role=Role.OFFICER, full_name="市一中党务干部")
    w["direct_secretary"] = make_user("direct_secretary", org=direct_branch, role=Role.BRANCH_SECRETARY)
    w["direct_reviewer"] = make_user("direct_reviewer", org=direct, role=Role.REVIEWER, full_name="市一中审核人")
    w["auditor"] = make_user("county_auditor", org=county, role=Role.AUDITOR, full_name="赫山审计")
    w["outsider"] = make_user("outsider", full_name="无关人员")

    w["candidate1"] = make_teacher("王骨干", branch, is_backbone=True, birth=(1988, 7, 21), user=True)
    w["candidate2"] = make_teacher("李党员", branch, party_status=PartyStatus.FULL, birth=(1990, 11, 2), user=True)
    w["direct_candidate"] = make_teacher("赵老师", direct_branch, is_backbone=True, birth=(1986, 1, 5), user=True)
    w["member_mentor"] = make_teacher("张正式", branch, party_status=PartyStatus.FULL, user=True, position="副校长")
    w["member_mentor2"] = make_teacher("陈正式", branch, party_status=PartyStatus.FULL, user=True, position="教研组长")
    w["backbone_mentor"] = make_teacher("刘骨干", school, is_backbone=True, user=True, position="学科带头人")
    w["probationary"] = make_teacher("孙预备", branch, party_status=PartyStatus.PROBATIONARY, user=True)
    w["direct_mentor"] = make_teacher("周正式", direct_branch, party_status=PartyStatus.FULL, user=True)
    w["other_teacher"] = make_teacher("桃江老师", other_school, party_status=PartyStatus.FULL, user=True)
    return World(**w)
