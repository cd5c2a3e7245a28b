# Shortcuts; the scripts do the work and also run on their own.
PG_URL ?= postgres://postgres@127.0.0.1:5432/shuangpei

.PHONY: install run test test-pg bench lint

install:  ## .venv, packages, translations, migrate
	bash scripts/setup_and_run.sh --install-only

run:  ## install, migrate, seed the demo data, runserver 0.0.0.0:8000
	bash scripts/setup_and_run.sh

test:  ## the whole suite on SQLite
	env -u DATABASE_URL bash scripts/test.sh

test-pg:  ## the whole suite on PostgreSQL ($(PG_URL))
	DATABASE_URL=$(PG_URL) bash scripts/test.sh

bench:  ## inbox benchmark
	.venv/bin/python bench/inbox.py

lint:  ## ruff and the migrations check
	.venv/bin/ruff check .
	.venv/bin/python manage.py makemigrations --check --dry-run
