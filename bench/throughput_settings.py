"""bench/throughput.py's settings: the project's, with the bench's URLconf (the reference view)."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.throughput_urls"
