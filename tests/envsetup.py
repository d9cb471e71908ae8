"""Loaded with `-p tests.envsetup` (pyproject addopts) before Django reads its settings."""

import os
import uuid

# One channel-layer/cache namespace per test run, so runs sharing a Redis never cross.
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"uc_test_{uuid.uuid4().hex[:8]}")
os.environ.setdefault("CACHE_KEY_PREFIX", os.environ["CHANNEL_LAYER_PREFIX"])
# Tests render pages from the source static files (as `make dev` does) rather than from a
# collected, hashed copy; pytest-django still runs each test with DEBUG off.
os.environ.setdefault("DJANGO_DEBUG", "1")
# No Celery worker runs under test: tasks execute in the calling process, in pytest and in
# the daphne servers the browser tests start (they inherit this environment).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
