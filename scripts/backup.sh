#!/usr/bin/env bash
# 备份：PostgreSQL 数据库（pg_dump）与上传附件、导出文件，带时间戳，保留最近 N 份。
# Back up the PostgreSQL database (pg_dump -Fc) and the files the database points at
# (PRIVATE_MEDIA_ROOT: uploaded attachments; EXPORTS_ROOT: generated exports), timestamped,
# keeping the newest BACKUP_KEEP backups.
#
#   set -a; . /etc/shuangpei/env; set +a     # or run it from a systemd timer with that EnvironmentFile
#   bash scripts/backup.sh                   # -> $BACKUP_DIR/shuangpei-20260316T020000Z/
#
# Environment:
#   DATABASE_URL        postgres://user[:password]@host:port/name (required; SQLite is not backed up here)
#   PRIVATE_MEDIA_ROOT  default var/attachments      EXPORTS_ROOT  default var/exports
#   BACKUP_DIR          where backups go (default var/backups)
#   BACKUP_KEEP         how many backups to keep, newest first (default 14)
#
# Each backup is one directory:
#   db.dump             pg_dump --format=custom (restore with scripts/restore.sh, or pg_restore)
#   attachments.tar.gz  PRIVATE_MEDIA_ROOT      exports.tar.gz  EXPORTS_ROOT
#   SHA256SUMS          checked by restore.sh before it restores anything
# It is written under a temporary name and renamed when complete, so a failed or interrupted
# run never looks like a backup and never makes the pruning delete a good one.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATABASE_URL="${DATABASE_URL:-}"
PRIVATE_MEDIA_ROOT="${PRIVATE_MEDIA_ROOT:-$ROOT/var/attachments}"
EXPORTS_ROOT="${EXPORTS_ROOT:-$ROOT/var/exports}"
BACKUP_DIR="${BACKUP_DIR:-$ROOT/var/backups}"
BACKUP_KEEP="${BACKUP_KEEP:-14}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'backup: %s\n' "$*" >&2; exit 1; }

case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    "") die "DATABASE_URL is not set (expected postgres://user@host:5432/name)" ;;
    *) die "DATABASE_URL is not a PostgreSQL URL: this script backs up PostgreSQL only" ;;
esac
[[ "$BACKUP_KEEP" =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number of at least 1, not '$BACKUP_KEEP'"

# Files: readable by the service user only (the dump holds personal data).
umask 077
mkdir -p "$BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$BACKUP_DIR/shuangpei-$stamp"
[ ! -e "$final" ] || die "$final already exists (one backup per second at most)"
work="$(mktemp -d "$BACKUP_DIR/.partial-$stamp.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The database first, then the files: attachments are only ever added (rows are never changed),
# so every attachment row in the dump has its file in the tar taken a moment later.
log "pg_dump of ${DATABASE_URL##*@}"
pg_dump --format=custom --no-owner --no-privileges --file="$work/db.dump" "$DATABASE_URL"

archive() {  # archive NAME DIR: DIR's contents as NAME.tar.gz (empty when DIR does not exist yet)
    local name="$1" dir="$2"
    if [ -d "$dir" ]; then
        log "tar of $dir"
        tar --create --gzip --file="$work/$name.tar.gz" --directory="$dir" .
    else
        log "$dir does not exist: $name.tar.gz is empty"
        tar --create --gzip --file="$work/$name.tar.gz" --files-from=/dev/null
    fi
}
archive attachments "$PRIVATE_MEDIA_ROOT"
archive exports "$EXPORTS_ROOT"

(cd "$work" && sha256sum db.dump attachments.tar.gz exports.tar.gz >SHA256SUMS)
mv "$work" "$final"
trap - EXIT
log "backup written: $final ($(du -sh "$final" | cut -f1))"

# Keep the newest BACKUP_KEEP complete backups; the names sort by time. Nothing else in
# BACKUP_DIR is touched.
mapfile -t old < <(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'shuangpei-????????T??????Z' | sort | head -n "-$BACKUP_KEEP")
for dir in "${old[@]}"; do
    log "removing old backup $dir"
    rm -rf -- "$dir"
done
