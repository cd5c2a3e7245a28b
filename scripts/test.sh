#!/usr/bin/env bash
# 运行全部测试（SQLite；设置 DATABASE_URL 则用 PostgreSQL）。
# Run the test suite: on SQLite by default, or against DATABASE_URL when it is set
# (pytest-django creates and drops the test_<name> database itself).
#
#   bash scripts/test.sh                          # all tests on SQLite
#   bash scripts/test.sh tests/test_seed_demo.py  # any pytest arguments
#   TEST_WORKERS=0 bash scripts/test.sh           # one process (default: one worker per core)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/shuangpei bash scripts/test.sh
#
# Installs what the tests need first: the .venv and its packages, and from Debian
# Chromium (browser tests), Noto CJK fonts and gettext when Chromium is missing, and
# WeasyPrint's libraries (Pango, HarfBuzz subset) for the PDF tests.

set -euo pipefail

# shellcheck source=scripts/setup_and_run.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup_and_run.sh"

if [ ! -x /usr/bin/chromium ]; then
    log "Chromium is missing: installing chromium, fonts-noto-cjk and gettext"
    apt_install chromium fonts-noto-cjk gettext
fi

ensure_pdf_deps
# tests/test_workbook_print.py prints every workbook through LibreOffice, as a unit's Excel or WPS would.
if ! command -v soffice >/dev/null 2>&1; then
    log "LibreOffice Calc is missing: installing libreoffice-calc-nogui"
    apt_install libreoffice-calc-nogui
fi
ensure_venv
ensure_secret_key
compile_messages

cd "$ROOT"
if [ -n "${DATABASE_URL:-}" ]; then
    log "Running the tests against the database at ${DATABASE_URL##*@}"
else
    log "Running the tests on SQLite"
fi
# Every core runs tests (pytest-xdist); a module's tests stay on one worker (--dist loadfile)
# so a scene built once per module is built once. TEST_WORKERS=0 runs in one process.
workers="${TEST_WORKERS:-auto}"
if [ "$workers" = "0" ]; then
    exec .venv/bin/pytest "$@"
fi
exec .venv/bin/pytest -n "$workers" --dist loadfile "$@"
