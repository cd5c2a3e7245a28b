#!/usr/bin/env bash
# 安装依赖、建库、生成演示数据并在 http://127.0.0.1:8000 启动。
# Install the dependencies, migrate, seed the demo data and start the development server.
#
#   bash scripts/setup_and_run.sh                 # everything, then runserver 0.0.0.0:8000
#   bash scripts/setup_and_run.sh --install-only  # venv, packages, messages, migrate; no seed, no server
#
# Works on a fresh Debian machine as root with Python 3.11 at python3. Uses SQLite
# (db.sqlite3, or $SQLITE_PATH) unless DATABASE_URL is set.
# scripts/test.sh sources this file for its install helpers.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
_APT_UPDATED=0

log() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# On a new machine unattended-upgrades often holds apt's locks for minutes, and apt-get would
# fail at once. Both apt-get calls run with -o DPkg::Lock::Timeout=600 (apt >= 1.9.11; Debian 12
# has 2.6): install then waits up to 10 minutes for /var/lib/dpkg/lock-frontend. apt 2.6's
# update ignores that option for its own lock (/var/lib/apt/lists/lock, tried: it fails at
# once), so apt_install first waits for that lock, testing the same fcntl lock apt takes.
APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"

apt_install() {
    if [ "$_APT_UPDATED" -eq 0 ]; then
        local waited=0
        while ! as_root "$PYTHON" -c 'import fcntl, sys; fcntl.lockf(open(sys.argv[1], "a"), fcntl.LOCK_EX | fcntl.LOCK_NB)' \
            "${APT_LISTS_LOCK:-/var/lib/apt/lists/lock}" 2>/dev/null && [ "$waited" -lt "$APT_LOCK_TIMEOUT" ]; do
            [ "$waited" -gt 0 ] || log "Another apt holds the package lists: waiting for it (at most ${APT_LOCK_TIMEOUT}s)"
            sleep 5
            waited=$((waited + 5))
        done
        as_root apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" update
        _APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" install -y --no-install-recommends "$@"
}

ensure_venv() {
    cd "$ROOT"
    if [ ! -x .venv/bin/python ]; then
        if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
            log "python3-venv is missing: installing it"
            apt_install python3-venv
        fi
        log "Creating .venv with $("$PYTHON" --version 2>&1)"
        "$PYTHON" -m venv .venv
    fi
    # Reinstall only when pyproject.toml changed since the last successful install.
    local want stamp=.venv/.shuangpei-installed
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        log "Installing the project and its dev dependencies (pip install -e .[dev])"
        .venv/bin/python -m pip install -e '.[dev]'
        echo "$want" >"$stamp"
    fi
}

has_po_files() {
    [ -d "$ROOT/locale" ] && [ -n "$(find "$ROOT/locale" -name '*.po' -print -quit)" ]
}

compile_messages() {
    cd "$ROOT"
    if has_po_files; then
        if ! command -v msgfmt >/dev/null 2>&1; then
            log "msgfmt is missing: installing gettext"
            apt_install gettext
        fi
        log "Compiling translations"
        .venv/bin/python manage.py compilemessages --ignore=.venv -v 0
    fi
}

# What WeasyPrint needs from Debian to print the official documents (附件2, 附件3 台账) as PDF:
# Pango, HarfBuzz's subsetter (without it WeasyPrint falls back to the much slower fontTools)
# and the Noto CJK fonts the documents are set in.
PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)

ensure_pdf_deps() {
    local missing=() pkg
    for pkg in "${PDF_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "Installing what WeasyPrint needs to print PDFs: ${missing[*]}"
        apt_install "${missing[@]}"
    fi
}

# With DEBUG off the app refuses to start without a real SECRET_KEY (docs/security.md). Unless
# $SECRET_KEY is set, generate one once into var/secret_key (git-ignored, readable by this user
# only); project/settings.py reads that file. Every manage.py command needs it, so call this
# right after ensure_venv.
ensure_secret_key() {
    local file="${SECRET_KEY_FILE:-$ROOT/var/secret_key}"
    if [ -n "${SECRET_KEY:-}" ] || [ -s "$file" ]; then
        return 0
    fi
    log "Generating a SECRET_KEY into $file (kept out of git)"
    mkdir -p "$(dirname "$file")"
    (umask 077 && "$ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$file")
}

# The key that signs the audit chain's checkpoints (workflows/chain.py) must not live in the
# database: unless $AUDIT_SIGNING_KEY is set, generate one once into var/audit_key (git-ignored,
# readable by this user only). Keep a copy of it apart from the database backups.
ensure_audit_key() {
    local file="${AUDIT_SIGNING_KEY_FILE:-$ROOT/var/audit_key}"
    if [ -n "${AUDIT_SIGNING_KEY:-}" ] || [ -s "$file" ]; then
        return 0
    fi
    log "Generating the audit signing key into $file (kept out of git and out of the database)"
    mkdir -p "$(dirname "$file")"
    (umask 077 && "$ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$file")
}

install_all() {
    ensure_pdf_deps
    ensure_venv
    ensure_secret_key
    ensure_audit_key
    compile_messages
    log "Migrating the database"
    .venv/bin/python manage.py migrate --noinput
}

main() {
    local install_only=0
    for arg in "$@"; do
        case "$arg" in
            --install-only) install_only=1 ;;
            -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}"; return 0 ;;
            *) echo "unknown option: $arg" >&2; return 2 ;;
        esac
    done
    install_all
    if [ "$install_only" -eq 1 ]; then
        return 0
    fi
    log "Seeding the demo data (runs once; later runs only print the accounts)"
    .venv/bin/python manage.py seed_demo
    log "Starting the development server: http://127.0.0.1:8000/  (Ctrl-C to stop)"
    # It listens on every interface, so any host name is allowed (override from the environment).
    # --insecure serves viewflow's bundled static files with DEBUG off, so users see the
    # app's own Chinese error pages rather than Django's debug pages.
    export ALLOWED_HOSTS="${ALLOWED_HOSTS:-*}"
    # The demo is served over plain HTTP: PLAIN_HTTP=1 turns off the HTTPS redirect, HSTS and
    # secure-only cookies that production (DEBUG off) has by default (docs/security.md).
    export PLAIN_HTTP="${PLAIN_HTTP:-1}"
    # The reminders clock: tick once a minute beside the server (new record periods and
    # semesters, 到期/逾期 reminders, escalation). It stops when the server stops.
    log "Starting manage.py tick --loop in the background (log: tick.log)"
    .venv/bin/python manage.py tick --loop >>tick.log 2>&1 &
    local ticker=$!
    # The background worker for 批量导出 (bulk ledgers, the city's 附件2): it takes queued
    # export jobs from the database; more workers, on this or other machines, may share it.
    log "Starting manage.py db_worker in the background (log: worker.log)"
    .venv/bin/python manage.py db_worker --interval 1 >>worker.log 2>&1 &
    local worker=$!
    trap "kill $ticker $worker 2>/dev/null" EXIT
    .venv/bin/python manage.py runserver --insecure 0.0.0.0:8000
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
