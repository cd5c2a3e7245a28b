#!/usr/bin/env bash
# 恢复并检查：把 backup.sh 的一份备份恢复到一个新数据库，再逐项检查，报告结果。
# Restore a backup made by scripts/backup.sh into a NEW database on the server of DATABASE_URL,
# unpack its files beside it, and check the result: the checksums, Django's system checks
# against the restored database, that no migration is missing, the row counts of the main
# tables, and that every attachment row has its file with the recorded SHA-256.
# It never writes to an existing database: the live one stays as it is.
#
#   bash scripts/restore.sh /var/backups/shuangpei/shuangpei-20260316T020000Z [NEW_DB_NAME]
#       [--files-into DIR]   where attachments/ and exports/ are unpacked
#                            (default var/restore/NEW_DB_NAME)
#       [--drop-after]       a restore drill: drop the new database and the files after the checks
#
# NEW_DB_NAME defaults to shuangpei_restore_<the backup's timestamp>. The exit status is 0 only
# when every check passed. A database pg_restore could not fill is dropped again; one whose
# checks failed is kept for inspection (an older backup may only need ``manage.py migrate``).
# The role of DATABASE_URL must be allowed to create databases (ALTER ROLE … CREATEDB).
# To put the restored copy into service, see README.md (部署: 备份与恢复).
# Needs the environment the app runs with (SECRET_KEY, …): set -a; . /etc/shuangpei/env; set +a

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON_BIN:-$ROOT/.venv/bin/python}"
DATABASE_URL="${DATABASE_URL:-}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'restore: %s\n' "$*" >&2; exit 2; }

backup="" target="" files_into="" drop_after=0
while [ "$#" -gt 0 ]; do
    case "$1" in
        --files-into) files_into="${2:?--files-into needs a directory}"; shift 2 ;;
        --drop-after) drop_after=1; shift ;;
        -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) die "unknown option: $1" ;;
        *) if [ -z "$backup" ]; then backup="$1"; elif [ -z "$target" ]; then target="$1"; else die "too many arguments"; fi; shift ;;
    esac
done
[ -n "$backup" ] || die "which backup? usage: restore.sh BACKUP_DIR [NEW_DB_NAME] [--files-into DIR] [--drop-after]"
[ -f "$backup/db.dump" ] && [ -f "$backup/SHA256SUMS" ] || die "$backup is not a backup made by scripts/backup.sh"
case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    *) die "DATABASE_URL must name the PostgreSQL server to restore onto (postgres://user@host:5432/name)" ;;
esac
if [ -z "$target" ]; then
    stamp="$(basename "$backup")"
    stamp="${stamp#shuangpei-}"
    target="shuangpei_restore_$(printf '%s' "$stamp" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_' '_')"
fi
[[ "$target" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "the new database name must be lower-case letters, digits and _ (got '$target')"
files_into="${files_into:-$ROOT/var/restore/$target}"

# The same server and credentials as DATABASE_URL, another database name.
url_for() { "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$DATABASE_URL" "$1"; }
server_url="$(url_for postgres)"
target_url="$(url_for "$target")"

failures=()
check() {  # check NAME COMMAND...: run it, record the outcome
    local name="$1"
    shift
    if "$@"; then
        printf -- '---- ok: %s\n' "$name"
    else
        printf -- '---- FAILED: %s\n' "$name"
        failures+=("$name")
    fi
}

log "Checking the backup's checksums"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || die "$backup is damaged: its files do not match SHA256SUMS"

exists="$(psql "$server_url" --no-psqlrc --tuples-only --no-align -v ON_ERROR_STOP=1 \
    -c "SELECT 1 FROM pg_database WHERE datname = '$target'")"
[ -z "$exists" ] || die "database $target already exists: restore.sh only restores into a new database"
[ ! -e "$files_into" ] || [ -z "$(ls -A "$files_into")" ] || die "$files_into is not empty"

log "Creating database $target on ${server_url##*@}"
createdb --maintenance-db="$server_url" "$target"
created=1
cleanup() {
    if [ "${created:-0}" -eq 1 ] && [ "${keep_db:-0}" -eq 0 ]; then
        log "Dropping database $target"
        dropdb --maintenance-db="$server_url" --if-exists "$target" || true
        rm -rf -- "$files_into"
    fi
}
keep_db=0
trap cleanup EXIT

log "pg_restore into $target"
if ! pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target_url" "$backup/db.dump"; then
    printf -- '---- FAILED: pg_restore\n'
    exit 1  # the half-restored database is dropped by the trap
fi

# Restored: from here on the database stays, whatever the checks find (an older backup may
# only need ``manage.py migrate``), unless this is a drill.
keep_db=$((1 - drop_after))

log "Unpacking the files into $files_into"
mkdir -p "$files_into/attachments" "$files_into/exports"
tar --extract --gzip --file="$backup/attachments.tar.gz" --directory="$files_into/attachments"
tar --extract --gzip --file="$backup/exports.tar.gz" --directory="$files_into/exports"

export DATABASE_URL="$target_url" PRIVATE_MEDIA_ROOT="$files_into/attachments" EXPORTS_ROOT="$files_into/exports"
cd "$ROOT"
log "Checking the restored database"
check "manage.py check (against $target)" "$PY" manage.py check --database default
check "no migration missing (manage.py migrate --check)" "$PY" manage.py migrate --check
check "row counts and attachment files" "$PY" manage.py shell --no-imports -c '
import hashlib
from django.conf import settings
from django.contrib.auth import get_user_model
from workflows.models import Attachment, AuditEvent, Case, Organisation, Teacher

for model in (get_user_model(), Organisation, Teacher, Case, AuditEvent, Attachment):
    print(f"{model._meta.db_table} {model.objects.count()}")
missing = []
for att in Attachment.objects.all():
    path = settings.PRIVATE_MEDIA_ROOT / att.stored_name
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != att.sha256:
        missing.append(att.stored_name)
print(f"attachment files: {Attachment.objects.count() - len(missing)} present and intact, {len(missing)} missing or changed")
for name in missing:
    print(f"  missing or changed: {name}")
raise SystemExit(1 if missing else 0)
'

echo
if [ "${#failures[@]}" -gt 0 ]; then
    echo "RESTORE CHECK FAILED: ${failures[*]}"
else
    echo "RESTORE CHECK PASSED: $backup restored into database $target"
fi
if [ "$drop_after" -eq 1 ]; then
    echo "(a drill: $target and $files_into are dropped again)"
else
    echo "  DATABASE_URL=$(printf '%s' "$target_url" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
    echo "  PRIVATE_MEDIA_ROOT=$files_into/attachments"
    echo "  EXPORTS_ROOT=$files_into/exports"
fi
[ "${#failures[@]}" -eq 0 ]
