"""gunicorn settings for the 双培 engine, read from the environment (see deploy/env.example).

    gunicorn -c deploy/gunicorn.conf.py project.wsgi

GUNICORN_BIND      address to listen on (default 127.0.0.1:8000; behind nginx keep it local)
GUNICORN_WORKERS   worker processes (default 2 × CPU cores + 1, gunicorn's own advice)
GUNICORN_THREADS   threads per worker (default 1: the PDF exports are CPU-bound)
GUNICORN_TIMEOUT   seconds before a silent worker is killed and replaced (default 60: a
                   附件3 台账 or 附件2 PDF renders in ~2 s; bulk exports run in db_worker)
GUNICORN_GRACEFUL_TIMEOUT  seconds a worker gets to finish its requests on restart (default 30)
GUNICORN_KEEPALIVE seconds an idle keep-alive connection stays open (default 5)
GUNICORN_MAX_REQUESTS  recycle a worker after this many requests, with jitter (default 1000;
                   0 turns it off), so a slow leak in a library never grows without bound
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "project.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10

# Logs to stdout/stderr, which systemd's journal keeps (journalctl -u shuangpei-web).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL") or "info"
# Worker heartbeats in RAM, not on a disk that may stall (gunicorn's advice for systemd hosts).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app is imported once in the master and forked: faster starts, shared memory. Migrations
# are never run here; the deploy steps run ``manage.py migrate`` before (re)starting.
preload_app = True
# Behind nginx on the same machine, trust its X-Forwarded-* headers (nginx overwrites them).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS") or "127.0.0.1"
