"""Two rules of the test harness, as functions (tests/conftest.py holds the fixtures).

- require(condition, reason): where a missing tool, package or privilege would
  skip a group of tests, call this instead of pytest.skip. It skips on a
  developer's machine and FAILS under CI=true, so CI cannot go green by skipping.
- wait_until(predicate, what): wait for a condition (a log line, a file, a
  server event), never a blind sleep.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")

T = TypeVar("T")


def require(condition: object, reason: str) -> None:
    """Go on when `condition` holds; else skip, or fail under CI=true (where a skip would hide tests)."""
    if condition:
        return
    if CI:
        pytest.fail(f"CI=true, so this does not skip: {reason}", pytrace=False)
    pytest.skip(reason)


def has_module(name: str) -> bool:
    """Whether `import name` would find the package (without importing it)."""
    return importlib.util.find_spec(name) is not None


def wait_until(predicate: Callable[[], T], what: str, timeout: float = 10.0, interval: float = 0.02,
               alive: Callable[[], object] | None = None) -> T:
    """The first truthy value of `predicate()`, polled every `interval` s; AssertionError after `timeout` s.

    `alive`, when given, is checked on each round too: a falsy value ends the wait at once
    (e.g. the process that should bring the condition has exited).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if alive is not None and not alive():
            raise AssertionError(f"gave up waiting for {what}: what should bring it has stopped")
        if time.monotonic() >= deadline:
            raise AssertionError(f"no {what} within {timeout:g} s")
        time.sleep(interval)
