"""scripts/backup.sh and scripts/restore.sh for real, against the PostgreSQL of DATABASE_URL.

Skipped unless DATABASE_URL is a postgres URL (CI's PostgreSQL leg). The test creates its
own two databases on that server, a source and the restore's target, both named
``shuangpei_backuptest_<random>_…``, and drops both at the end: no other database is read or
written. The source is migrated and given a small world (a case, its audit events, an
uploaded attachment, an export file) in a subprocess, as the running app would leave it.
"""

import hashlib
import os
import secrets
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="backup and restore are tested against PostgreSQL (set DATABASE_URL=postgres://…)",
)

POPULATE = """
from django.test import override_settings
from tests.factories import make_world
from workflows.services import cases as svc
from workflows.services.attachments import as_upload, staged_files
from workflows.models import FileKind
from tests.factories import make_teacher

with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    w = make_world()
    teacher = make_teacher("备份测试", w.branch, is_backbone=True)
    case = svc.case_register(actor=w.officer, teacher_id=teacher.pk, kind="1")
    with staged_files() as staged:
        staged.store(as_upload("培养计划.pdf", b"%PDF-1.4 backup test"), FileKind.PDF, case=case, actor=w.officer)
"""

COUNTED = ["auth_user", "workflows_organisation", "workflows_teacher", "workflows_case", "workflows_auditevent"]


def _url(name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(DATABASE_URL)._replace(path="/" + name))


def _sql(name: str, query: str):
    import psycopg

    with psycopg.connect(_url(name), autocommit=True) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def _counts(name: str) -> dict[str, int]:
    return {table: _sql(name, f"SELECT count(*) FROM {table}")[0][0] for table in [*COUNTED, "workflows_attachment"]}


def _run(*args, env, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    tag = f"shuangpei_backuptest_{secrets.token_hex(4)}"
    source, target = f"{tag}_source", f"{tag}_restored"
    tmp = tmp_path_factory.mktemp("backup")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=_url(source),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECRET_KEY_FILE=str(tmp / "no_secret_key_file"),
        PRIVATE_MEDIA_ROOT=str(tmp / "attachments"),
        EXPORTS_ROOT=str(tmp / "exports"),
        BACKUP_DIR=str(tmp / "backups"),
        BACKUP_KEEP="2",
    )
    try:
        _sql("postgres", f'CREATE DATABASE "{source}"')
        manage = [sys.executable, "manage.py"]
        _run(*manage, "migrate", "--noinput", "-v0", env=env)
        _run(*manage, "shell", "-c", POPULATE, env=env)
        (tmp / "exports").mkdir()
        (tmp / "exports" / "台账.zip").write_bytes(b"PK export")
        yield {"env": env, "tmp": tmp, "source": source, "target": target}
    finally:
        # Every database this module made carries its random tag, whatever test made it.
        for (name,) in _sql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE '{tag}%'"):
            _sql("postgres", f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def backup(pg):
    backups = pg["tmp"] / "backups"
    backups.mkdir()
    # Three older backups and a file that is not a backup: the pruning keeps the newest.
    for stamp in ("20240101T000000Z", "20250101T000000Z", "20250601T000000Z"):
        (backups / f"shuangpei-{stamp}").mkdir()
    (backups / "notes.txt").write_text("not a backup")
    result = _run("bash", "scripts/backup.sh", env=pg["env"])
    made = sorted(p for p in backups.iterdir() if p.name.startswith("shuangpei-"))
    return {"dir": made[-1], "all": made, "backups": backups, "output": result.stdout}


def test_backup_holds_the_dump_and_the_files(pg, backup):
    assert sorted(p.name for p in backup["dir"].iterdir()) == [
        "SHA256SUMS",
        "attachments.tar.gz",
        "db.dump",
        "exports.tar.gz",
    ]
    assert (backup["dir"] / "db.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    listing = _run("tar", "-tzf", str(backup["dir"] / "attachments.tar.gz"), env=pg["env"]).stdout
    assert any(line.endswith(".pdf") for line in listing.splitlines())
    assert "台账.zip" in _run("tar", "-tzf", str(backup["dir"] / "exports.tar.gz"), env=pg["env"]).stdout


def test_backup_keeps_the_newest_n(backup):
    assert [p.name for p in backup["all"]] == ["shuangpei-20250601T000000Z", backup["dir"].name]
    assert (backup["backups"] / "notes.txt").is_file()
    assert not [p for p in backup["backups"].iterdir() if p.name.startswith(".partial")]


def test_restore_into_a_new_database_is_checked(pg, backup):
    files = pg["tmp"] / "restored-files"
    result = _run(
        "bash", "scripts/restore.sh", str(backup["dir"]), pg["target"], "--files-into", str(files), env=pg["env"]
    )
    out = result.stdout
    assert "RESTORE CHECK PASSED" in out
    for check in ("manage.py check", "no migration missing", "row counts and attachment files"):
        assert f"---- ok: {check}" in out
    assert "attachment files: 1 present and intact, 0 missing or changed" in out

    # The restored database holds what the source holds, table by table.
    source, restored = _counts(pg["source"]), _counts(pg["target"])
    assert restored == source and source["workflows_attachment"] == 1 and source["workflows_auditevent"] >= 1
    for table in COUNTED:
        assert f"{table} {source[table]}" in out
    # The attachment's bytes came back where the restored settings point.
    ((stored_name, sha256),) = _sql(pg["target"], "SELECT stored_name, sha256 FROM workflows_attachment")
    assert hashlib.sha256((files / "attachments" / stored_name).read_bytes()).hexdigest() == sha256
    assert (files / "exports" / "台账.zip").read_bytes() == b"PK export"


def test_restore_never_writes_into_an_existing_database(pg, backup):
    before = _counts(pg["source"])
    refused = _run("bash", "scripts/restore.sh", str(backup["dir"]), pg["source"], env=pg["env"], check=False)
    assert refused.returncode != 0 and "already exists" in refused.stderr
    assert _counts(pg["source"]) == before


def test_restore_refuses_a_damaged_backup(pg, backup, tmp_path):
    damaged = tmp_path / backup["dir"].name
    damaged.mkdir()
    for part in backup["dir"].iterdir():
        (damaged / part.name).write_bytes(part.read_bytes())
    dump = damaged / "db.dump"
    dump.write_bytes(dump.read_bytes()[:-100])
    name = f"{pg['target']}_damaged"
    result = _run("bash", "scripts/restore.sh", str(damaged), name, env=pg["env"], check=False)
    assert result.returncode != 0 and "damaged" in result.stderr
    assert _sql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == []


def test_restore_drill_drops_what_it_made(pg, backup):
    name = f"{pg['target']}_drill"
    files = pg["tmp"] / "drill-files"
    result = _run(
        "bash",
        "scripts/restore.sh",
        str(backup["dir"]),
        name,
        "--files-into",
        str(files),
        "--drop-after",
        env=pg["env"],
    )
    assert "RESTORE CHECK PASSED" in result.stdout
    assert _sql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == []
    assert not files.exists()
