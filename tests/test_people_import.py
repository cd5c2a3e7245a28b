"""导入人员名单: the service and the ``import_people`` command.

A clean workbook creates schools, branches, teachers, accounts and roles; a file with any bad
cell imports nothing and names every bad cell; the same file twice changes nothing; a changed
row updates its record with an audit event holding the old and new values; nobody imports
outside their own subtree.
"""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from workflows.errors import GuardError, NotInScope, NotPermitted
from workflows.models import AuditAction, AuditEvent, Case, Organisation, OrgKind, PartyStatus, RoleAssignment, Teacher
from workflows.routing import nearest_org_with_role
from workflows.selectors import user_assignments
from workflows.services import cases as case_services
from workflows.services.people_import import (
    ACCOUNT_COLUMNS,
    ORG_COLUMNS,
    TEACHER_COLUMNS,
    ImportRejected,
    import_people,
    people_template,
)

COUNTY = "赫山区教育局"
NEW_SCHOOL = "赫山区第二中学"
NEW_BRANCH = "赫山二中第一党支部"

ORGS = [
    [NEW_SCHOOL, "学校", COUNTY],
    [NEW_BRANCH, "党支部", NEW_SCHOOL],
]
TEACHERS = [
    # 教师编号 姓名 性别 出生日期 学校 支部 任教学科 职务 政治面貌 职称 骨干教师 荣誉 拟列入类别
    [
        "43090119860504001",
        "刘新",
        "女",
        "1986-05-04",
        NEW_SCHOOL,
        NEW_BRANCH,
        "数学",
        "教研组长",
        "群众",
        "一级教师",
        "是",
        "2024年度优秀教师",
        "1",
    ],
    [
        "43090119800102002",
        "陈党员",
        "男",
        datetime.date(1980, 1, 2),
        "赫山区第一中学",
        "赫山一中第一党支部",
        "物理",
        "",
        "正式党员",
        "高级教师",
        "否",
        "",
        "2",
    ],
    # 王骨干 was entered before 教师编号 existed: the same name and birth date adopt the number.
    [
        "43090119880721003",
        "王骨干",
        "女",
        "1988-07-21",
        "赫山区第一中学",
        "赫山一中第一党支部",
        "语文",
        "",
        "群众",
        "",
        "是",
        "",
        "",
    ],
]
ACCOUNTS = [
    # 用户名 姓名 教师编号 电子邮箱 任职学校或单位 任职支部 角色 开始日期 结束日期
    ["liuxin", "刘新", "43090119860504001", "liuxin@example.cn", "", "", "", "", ""],
    ["erzhong_officer", "二中党务干部", "", "", NEW_SCHOOL, "", "党务干部", "2026-09-01", ""],
    ["chen_secretary", "陈党员", "43090119800102002", "", NEW_SCHOOL, NEW_BRANCH, "支部书记", "2026-09-01", ""],
    # The county appoints at its schools and branches, never at the county itself (the city does that).
    ["chen_secretary", "", "", "", NEW_SCHOOL, "", "审计", "2026-09-01", "2026-10-01"],
]


def workbook(orgs=ORGS, teachers=TEACHERS, accounts=ACCOUNTS) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in (
        ("学校与支部", ORG_COLUMNS, orgs),
        ("教师", TEACHER_COLUMNS, teachers),
        ("账号与角色", ACCOUNT_COLUMNS, accounts),
    ):
        sheet = book.create_sheet(title)
        sheet.append(list(columns.values()))
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts() -> dict:
    return {
        "orgs": Organisation.objects.count(),
        "teachers": sorted(Teacher.objects.values_list("id", "staff_no", "name", "org_id", "subject", "party_status")),
        "users": get_user_model().objects.count(),
        "roles": sorted(
            RoleAssignment.objects.values_list("id", "user_id", "org_id", "role", "start_date", "end_date")
        ),
        "audit": AuditEvent.objects.count(),
        "cases": sorted(Case.objects.values_list("id", "org_id", "scope_path")),
    }


def run(world, content=None, actor=None, root=None):
    return import_people(
        actor=actor or world.reviewer,
        root_id=(root or world.county).pk,
        content=content or workbook(),
        filename="名单.xlsx",
    )


def test_a_clean_file_imports_schools_teachers_accounts_and_roles(world):
    result = run(world)

    assert result.counts == {
        "org_created": 2,
        "teacher_created": 2,
        "teacher_updated": 1,
        "account_created": 3,
        "account_updated": 0,
        "role_created": 3,
        "role_updated": 0,
    }
    school = Organisation.objects.get(name=NEW_SCHOOL)
    branch = Organisation.objects.get(name=NEW_BRANCH)
    assert (school.kind, school.parent, school.unit) == (OrgKind.SCHOOL, world.county, world.county)
    assert (branch.kind, branch.parent) == (OrgKind.BRANCH, school)

    liu = Teacher.objects.get(staff_no="43090119860504001")
    assert (liu.name, liu.sex, liu.birth_date, liu.org, liu.subject, liu.position) == (
        "刘新",
        "F",
        datetime.date(1986, 5, 4),
        branch,
        "数学",
        "教研组长",
    )
    assert (liu.party_status, liu.titles, liu.is_backbone, liu.honours, liu.planned_kind) == (
        PartyStatus.MASSES,
        "一级教师",
        True,
        "2024年度优秀教师",
        "1",
    )
    chen = Teacher.objects.get(staff_no="43090119800102002")
    assert (chen.org, chen.party_status, chen.is_backbone) == (world.branch, PartyStatus.FULL, False)
    world.candidate1.refresh_from_db()
    assert world.candidate1.staff_no == "43090119880721003"  # adopted, not duplicated
    assert Teacher.objects.filter(name="王骨干").count() == 1

    account = get_user_model().objects.get(username="liuxin")
    assert (account.first_name, account.email, account.teacher) == ("刘新", "liuxin@example.cn", liu)
    assert not account.has_usable_password()  # never from the file: generated in the app
    secretary = get_user_model().objects.get(username="chen_secretary")
    assert secretary.teacher == chen
    roles = {(r.org.name, r.role, r.start_date, r.end_date) for r in RoleAssignment.objects.filter(user=secretary)}
    assert roles == {
        (NEW_BRANCH, "branch_secretary", datetime.date(2026, 9, 1), None),
        (NEW_SCHOOL, "auditor", datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)),
    }
    summary = AuditEvent.objects.get(action=AuditAction.PEOPLE_IMPORT)
    assert (summary.actor, summary.role, summary.org) == (world.reviewer, "reviewer", world.county)
    assert summary.changes["counts"]["新增教师"] == 2
    added = AuditEvent.objects.get(action=AuditAction.TEACHER_ADD, changes__teacher="刘新")
    assert added.changes["org"] == ["", NEW_BRANCH]


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_cell(world):
    teachers = [
        TEACHERS[0],
        # unknown school
        ["T2", "张三", "男", "1985-03-09", "不存在中学", "", "", "", "群众", "", "", "", ""],
        # a date that does not exist
        ["T3", "李四", "女", "1985-13-01", "赫山区第一中学", "", "", "", "群众", "", "", "", ""],
        # the same 教师编号 as the first row
        ["43090119860504001", "王五", "女", "1985-03-09", "赫山区第一中学", "", "", "", "群众", "", "", "", ""],
        # 类别1 is for non-members: a 正式党员 cannot be listed for it
        ["T5", "赵六", "男", "1985-03-09", "赫山区第一中学", "", "", "", "正式党员", "", "", "", "1"],
        # no name
        ["T6", "", "男", "1985-03-09", "赫山区第一中学", "", "", "", "群众", "", "", "", ""],
        # a school of another county
        ["T7", "钱七", "男", "1985-03-09", "桃江县第一中学", "", "", "", "群众", "", "", "", ""],
    ]
    accounts = ACCOUNTS[:2] + [["city_admin", "", "", "", COUNTY, "", "审计", "2026-09-01", ""]]
    before = counts()

    with pytest.raises(ImportRejected) as refused:
        run(world, workbook(teachers=teachers, accounts=accounts))

    assert counts() == before
    errors = refused.value.errors
    expected = [
        "教师 第 3 行 E 列：找不到名为“不存在中学”的学校或组织，请核对名称，或先在“学校与支部”表中添加",
        "教师 第 4 行 D 列：出生日期“1985-13-01”不是有效日期，请按 1985-03-09 的格式填写",
        "教师 第 5 行 A 列：教师编号“43090119860504001”与第 2 行重复，每名教师只能填写一行",
        "教师 第 6 行 I 列：拟列入类别1（骨干教师培养成共产党员）须为非党员，但政治面貌是“正式党员”（见 M 列），"
        "请更正政治面貌或拟列入类别",
        "教师 第 7 行 B 列：姓名不能为空",
        "教师 第 8 行 E 列：“桃江县第一中学”不在您的管辖范围（赫山区教育局）内，"
        "不能导入到该组织。请只填写本单位的学校和支部",
        "账号与角色 第 4 行 A 列：用户名“city_admin”已被您管辖范围以外的人使用，请换一个用户名",
    ]
    for line in expected:
        assert line in errors
    assert [e for e in errors if e not in expected] == []
    assert "7 处错误" in refused.value.message


def test_bad_organisation_and_role_cells_are_named(world):
    orgs = [
        ["", "学校", COUNTY],
        ["赫山三中", "小学", COUNTY],
        [NEW_SCHOOL, "学校", COUNTY],
        [NEW_SCHOOL, "学校", COUNTY],
    ]
    accounts = [
        ["ok_user", "", "", "", NEW_SCHOOL, "", "审核人", "2026-09-01", ""],  # a 审核人 sits at a unit, not a school
        ["ok_user2", "", "", "", NEW_SCHOOL, "", "党务干部", "2026-09-01", "2026-08-01"],
        ["ok_user2", "", "", "", NEW_SCHOOL, "", "党务干部", "2026/09/01", ""],
        ["lonely", "", "", "", "", "", "", "", ""],
    ]
    with pytest.raises(ImportRejected) as refused:
        run(world, workbook(orgs=orgs, teachers=[], accounts=accounts))
    errors = refused.value.errors
    assert "学校与支部 第 2 行 A 列：名称不能为空" in errors
    assert "学校与支部 第 3 行 B 列：类型“小学”无法识别，请填写学校、党支部、支部之一" in errors
    assert "学校与支部 第 5 行 A 列：与第 4 行重复（同一上级下的同名组织）" in errors
    assert "账号与角色 第 2 行 G 列：审核人只能在区县教育局、直属单位任职，“赫山区第二中学”是学校" in errors
    assert "账号与角色 第 3 行 I 列：结束日期 2026-08-01 早于开始日期 2026-09-01" in errors
    assert "账号与角色 第 4 行 G 列：与第 3 行重复（同一账号在同一组织的同一角色）" in errors
    assert "账号与角色 第 5 行 A 列：账号须关联教师编号，或至少填写一项任职（组织、角色、开始日期）" in errors
    assert not Organisation.objects.filter(name=NEW_SCHOOL).exists()


def test_the_same_file_twice_changes_nothing(world):
    content = workbook()
    run(world, content)
    after_first = counts()

    result = run(world, content)

    assert not result.changed
    assert counts() == after_first  # rows and audit events alike


def test_a_changed_row_updates_its_record_and_is_audited_with_old_and_new_values(world):
    run(world)
    case = case_services.case_register(actor=world.officer, teacher_id=world.candidate1.pk, kind="1")
    teachers = [list(row) for row in TEACHERS]
    teachers[0][6] = "物理"  # 刘新's subject
    teachers[2][4], teachers[2][5] = NEW_SCHOOL, NEW_BRANCH  # 王骨干 transfers to the new school
    accounts = [list(row) for row in ACCOUNTS]
    accounts[1][8] = "2026-12-31"  # the officer's appointment now ends
    events = AuditEvent.objects.count()

    result = run(world, workbook(teachers=teachers, accounts=accounts))

    assert (result.counts["teacher_updated"], result.counts["role_updated"], result.counts["teacher_created"]) == (
        2,
        1,
        0,
    )
    edit = AuditEvent.objects.get(action=AuditAction.EDIT, changes__teacher="刘新")
    assert edit.changes == {"teacher": "刘新", "subject": ["数学", "物理"]}
    assert (edit.actor, edit.role, edit.org) == (world.reviewer, "reviewer", world.county)
    transfer = AuditEvent.objects.get(action=AuditAction.TRANSFER)
    assert transfer.changes == {"teacher": "王骨干", "org": ["赫山一中第一党支部", NEW_BRANCH]}
    assert transfer.case == case  # on the trainee's own history
    case.refresh_from_db()
    branch = Organisation.objects.get(name=NEW_BRANCH)
    assert (case.org, case.scope_path) == (branch, branch.path)  # the open case moved with her
    role = AuditEvent.objects.get(action=AuditAction.ROLE_EDIT)
    assert role.changes["end_date"] == ["", "2026-12-31"]
    # 3 events (edit, transfer, role) and the import's summary: nothing else was rewritten.
    assert AuditEvent.objects.count() == events + 4


def test_an_officer_cannot_import_into_another_unit(world):
    before = counts()
    with pytest.raises(NotInScope):
        run(world, actor=world.other_reviewer)  # 桃江's reviewer into 赫山
    with pytest.raises(NotInScope):
        run(world, actor=world.direct_officer)  # 市一中's officer into 赫山
    with pytest.raises(NotPermitted):
        run(world, actor=world.auditor)  # 赫山's auditor reads only
    with pytest.raises(NotPermitted):
        run(world, actor=world.officer, root=world.school)  # a school's officer: the unit imports
    with pytest.raises(NotInScope):
        run(world, actor=world.outsider)
    assert counts() == before


def test_the_city_imports_anywhere_and_a_direct_unit_into_itself(world):
    run(world, actor=world.city_admin, root=world.city)
    assert Organisation.objects.get(name=NEW_SCHOOL).parent == world.county
    teachers = [
        ["D1", "孙直属", "女", "1990-02-03", "市一中（益阳师范）", "市一中语文党支部", "", "", "群众", "", "", "", ""]
    ]
    run(world, workbook(orgs=[], teachers=teachers, accounts=[]), actor=world.direct_officer, root=world.direct)
    assert Teacher.objects.get(staff_no="D1").org == world.direct_branch


def test_an_ended_or_future_role_from_the_file_grants_nothing(world):
    run(world)
    secretary = get_user_model().objects.get(username="chen_secretary")
    assert [a.role for a in user_assignments(secretary)] == ["branch_secretary"]  # the 审计 role ended 2026-10-01
    orgs = [["赫山区第三中学", "学校", COUNTY]]
    accounts = [["later", "", "", "", "赫山区第三中学", "", "党务干部", "2099-01-01", ""]]
    run(world, workbook(orgs=orgs, teachers=[], accounts=accounts))
    assert user_assignments(get_user_model().objects.get(username="later")) == []
    # Routing sees no holder who has not started: nobody at or above 三中 holds 党务干部 today.
    with pytest.raises(GuardError):
        nearest_org_with_role(Organisation.objects.get(name="赫山区第三中学"), "officer")
    assert nearest_org_with_role(Organisation.objects.get(name=NEW_SCHOOL), "officer").name == NEW_SCHOOL


def test_the_template_has_the_three_sheets_and_imports_as_nothing(world):
    name, mimetype, content = people_template()
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["学校与支部", "教师", "账号与角色", "填写说明"]
    assert [c.value for c in book["教师"][1]] == list(TEACHER_COLUMNS.values())
    before = counts()
    assert not run(world, content).changed
    assert counts() == before


def test_the_command_imports_and_fails_on_a_bad_file(world, tmp_path):
    good = tmp_path / "名单.xlsx"
    good.write_bytes(workbook())
    out = io.StringIO()
    call_command("import_people", str(good), unit=COUNTY, user="heshan_reviewer", stdout=out)
    assert "新增教师 2 条" in out.getvalue()
    assert Teacher.objects.filter(staff_no="43090119860504001").exists()

    bad = tmp_path / "坏名单.xlsx"
    bad.write_bytes(workbook(teachers=[["T9", "", "男", "1985-13-01", "赫山区第一中学", "", "", "", "群众"]]))
    before = counts()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_people", str(bad), unit=COUNTY, stdout=out, stderr=err)
    assert "教师 第 2 行 B 列：姓名不能为空" in err.getvalue()
    assert "教师 第 2 行 D 列：出生日期“1985-13-01”不是有效日期" in err.getvalue()
    assert counts() == before

    with pytest.raises(CommandError):
        call_command("import_people", str(good), unit=COUNTY, user="taojiang_reviewer", stdout=io.StringIO())


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(world):
    import zipfile

    buffer = io.BytesIO(workbook())
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (120 * 1024 * 1024))
    before = counts()
    with pytest.raises(GuardError) as refused:
        run(world, buffer.getvalue())
    assert "异常庞大" in refused.value.message and "已拒收" in refused.value.message
    assert counts() == before


def test_the_sample_workbook_imports_into_the_county_and_again_changes_nothing(world):
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "docs" / "samples" / "人员名单_示例_赫山区教育局.xlsx"
    content = sample.read_bytes()
    assert run(world, content).counts["teacher_created"] == 2
    after = counts()
    assert not run(world, content).changed
    assert counts() == after


# --- review findings: separation of duties, lengths, size, direction controls ------------------------


def test_an_importer_appoints_neither_themselves_nor_at_their_own_level(world):
    accounts = [
        ["heshan_reviewer", "", "", "", "赫山区第一中学", "", "党务干部", "2026-09-01", ""],
        ["new_county_officer", "", "", "", COUNTY, "", "党务干部", "2026-09-01", ""],
        ["ok_officer", "", "", "", "赫山区第一中学", "", "党务干部", "2026-09-01", ""],
    ]
    before = counts()
    with pytest.raises(ImportRejected) as refused:
        run(world, workbook(orgs=[], teachers=[], accounts=accounts))
    assert refused.value.errors == [
        "账号与角色 第 2 行 A 列：不能为自己任命、修改或结束角色，请由上级组织办理。",
        "账号与角色 第 3 行 E 列：本级组织的任职须由上级组织办理；"
        "您只能任命、修改或结束下级组织（如所属学校、支部）的任职。",
    ]
    assert counts() == before
    # The city appoints at the county; the command line without --user (系统) is not bound by it.
    assert run(world, workbook(orgs=[], teachers=[], accounts=accounts[1:]), actor=world.city_admin).changed


def test_every_text_cell_is_checked_against_its_model_column(world):
    orgs = [["中" * 101, "学校", COUNTY], ["长名" * 30, "学校", COUNTY]]  # 101: too long; 60: fine
    teacher = list(TEACHERS[0])
    teacher[11] = "荣" * 2001  # 荣誉
    teacher[6] = "学" * 51  # 任教学科
    email = "a" * 300 + "@example.cn"  # passes validate_email; auth_user.email is varchar(254)
    accounts = [["liuxin", "刘" * 151, "", email, "赫山区第一中学", "", "党务干部", "2026-09-01", ""]]
    with pytest.raises(ImportRejected) as refused:
        run(world, workbook(orgs=orgs + ORGS, teachers=[teacher], accounts=accounts))
    assert sorted(refused.value.errors) == sorted(
        [
            "学校与支部 第 2 行 A 列：名称最多 100 个字符，现有 101 个",
            "教师 第 2 行 G 列：任教学科最多 50 个字符，现有 51 个",
            "教师 第 2 行 L 列：荣誉最多 2000 个字符，现有 2001 个",
            "账号与角色 第 2 行 B 列：姓名最多 150 个字符，现有 151 个",
            "账号与角色 第 2 行 D 列：电子邮箱最多 254 个字符，现有 311 个",
        ]
    )
    run(world, workbook(orgs=orgs[1:], teachers=[], accounts=[]))
    assert Organisation.objects.filter(name="长名" * 30).exists()


def test_a_sheet_over_5000_rows_is_refused_early(world):
    row = ["T", "张三", "男", "1985-03-09", "赫山区第一中学", "", "", "", "群众", "", "", "", ""]
    teachers = [[f"T{i}", *row[1:]] for i in range(5003)]
    before = counts()
    with pytest.raises(GuardError) as refused:
        run(world, workbook(orgs=[], teachers=teachers, accounts=[]))
    assert not isinstance(refused.value, ImportRejected)
    assert refused.value.message == "教师 工作表有 5003 行，超过每次 5000 行的上限，请分批导入。"
    assert counts() == before


def test_more_than_500_errors_says_how_many_and_that_the_first_500_are_listed(world):
    teachers = [
        [f"T{i}", "", "男", "1985-03-09", "赫山区第一中学", "", "", "", "群众", "", "", "", ""] for i in range(600)
    ]
    with pytest.raises(ImportRejected) as refused:
        run(world, workbook(orgs=[], teachers=teachers, accounts=[]))
    assert len(refused.value.errors) == 500
    assert "文件中有 600 处错误，下面列出前 500 处" in refused.value.message


def test_a_bad_file_is_refused_before_the_write_transaction_opens(world, monkeypatch):
    """On SQLite the write transaction holds the only write lock: a bad file must not take it."""
    from workflows.services import people_import

    def no_transaction(*args, **kwargs):
        raise AssertionError("the write transaction was opened for a bad file")

    monkeypatch.setattr(people_import.transaction, "atomic", no_transaction)
    bad = [["B1", "", "男", "1985-13-01", "赫山区第一中学", "", "", "", "群众", "", "", "", ""]]
    with pytest.raises(ImportRejected):
        run(world, workbook(orgs=[], teachers=bad, accounts=[]))


def test_direction_controls_are_refused_at_their_cell(world):
    teacher = list(TEACHERS[0])
    teacher[1] = "刘\u202e新"
    with pytest.raises(ImportRejected) as refused:
        run(world, workbook(orgs=ORGS, teachers=[teacher], accounts=[]))
    assert refused.value.errors == [
        "教师 第 2 行 B 列：姓名含有看不见的文字方向控制符（U+202E），会使文字倒序显示，请删除后重新填写"
    ]
