"""Fault injection: answers that go wrong on purpose, per endpoint, deterministic by seed.

A fault matches requests by path regex and method; it fires `count` times (or forever),
optionally only after letting `after` matching requests through, each time with
`probability` drawn from one RNG seeded by the sandbox seed.

Kinds: `status`, `slow`, `drop`, `expire_session`, `limit`, `hold` (per request);
`record_error`, `short_page`, `search_lag`, `stamps_without_ms` (drawn by handlers).
A `hold` keeps each request it fires on waiting until the test releases it by name
(`release`) or for `timeout` seconds: then it fails, as does every later request the hold
matches, so a test that never releases fails instead of hanging. `wait_held` tells a test
that a request waits.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("status", "slow", "drop", "expire_session", "limit", "hold", "record_error",
         "search_lag", "stamps_without_ms", "short_page")
# The kinds that answer in place of the handler; `slow` and `hold` only delay it (`stall`).
REQUEST_KINDS = ("status", "drop", "expire_session", "limit")
# HubSpot 429 bodies: the older `errorType`/`policyName` form or the `category` form.
FORMS = ("", "error_type", "category")
POLICIES = ("", "TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY")


@dataclass
class Fault:
    """One injected fault (see docs/sandbox.md for each kind)."""

    kind: str
    path: str = ""
    method: str | None = None
    status: int = 503
    retry_after: float | None = None
    delay: float = 1.0
    count: int | None = None
    probability: float = 1.0
    after: int = 0
    error_code: str = "UNABLE_TO_LOCK_ROW"
    message: str = "unable to obtain exclusive access to this record"
    lag: float = 0.0  # search_lag: only within `lag` seconds after a write (0: always)
    form: str = ""  # HubSpot rate-limit body form (FORMS)
    policy: str = ""  # HubSpot rate-limit policy (POLICIES)
    timeout: float = 60.0  # hold: the longest a request waits for its release
    name: str = ""
    seen: int = 0
    fired: int = 0
    held: int = 0  # hold: requests waiting right now
    released: bool = False  # hold: released; lets every request through
    expired: bool = False  # hold: a request waited out `timeout`; fails every request
    _re: re.Pattern[str] = field(default=re.compile(""), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (one of {', '.join(KINDS)})")
        if not 0 <= self.probability <= 1:
            raise ValueError("probability must be within [0, 1]")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("a status fault needs an HTTP error status (4xx/5xx)")
        if self.kind == "status" and self.status == 429 and self.retry_after is None:
            self.retry_after = 1.0
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.form not in FORMS or self.policy not in POLICIES:
            raise ValueError(f"form must be one of {FORMS[1:]}, policy one of {POLICIES[1:]}")
        self._re = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and bool(
            self._re.search(path)
        )

    @property
    def spent(self) -> bool:
        return self.released or (self.count is not None and self.fired >= self.count)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("_re")
        return d


_NUMERIC = {"status": int, "count": int, "after": int, "delay": float, "probability": float,
            "retry_after": float, "lag": float, "timeout": float}
STATE = frozenset({"seen", "fired", "held", "released", "expired", "_re"})


class HoldExpired(RuntimeError):
    """A held request waited its whole `timeout`: the test never released it."""


def parse_spec(spec: str) -> Fault:
    """`kind=status,status=429,path=/query,count=2` → Fault (the CLI's --fault syntax)."""
    values: dict[str, Any] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"fault option {part!r} is not key=value")
        key = key.strip().replace("-", "_")
        values[key] = _NUMERIC[key](value) if key in _NUMERIC else value
    return from_dict(values)


def from_dict(values: dict[str, Any]) -> Fault:
    """A Fault from JSON-ish values, refusing unknown keys."""
    allowed = set(Fault.__dataclass_fields__) - STATE
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
    if "kind" not in values:
        raise ValueError("a fault needs a kind")
    return Fault(**values)


class FaultSet:
    """The active faults; thread-safe; draws from one RNG seeded by the sandbox seed."""

    def __init__(self, seed: int, faults: list[Fault | dict[str, Any] | str] | None = None) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a hold's requests or release
        self._rng = random.Random(seed)
        self._faults: list[Fault] = []
        self._counter = 0
        self._listeners: list[Callable[[str], None]] = []
        for f in faults or []:
            self.add(f)

    def listen(self, callback: Callable[[str], None]) -> None:
        """Call `callback(kind)` each time a fault fires (call accounting)."""
        self._listeners.append(callback)

    def add(self, fault: Fault | dict[str, Any] | str) -> Fault:
        """Activate a fault (object, dict, or CLI spec string); returns it."""
        f = parse_spec(fault) if isinstance(fault, str) else (
            from_dict(fault) if isinstance(fault, dict) else fault
        )
        with self._lock:
            if f.name and any(g.name == f.name for g in self._faults):
                raise ValueError(f"a fault named {f.name!r} is already active")
            self._counter += 1
            f.name = f.name or f"fault-{self._counter}"
            self._faults.append(f)
        return f

    def clear(self) -> None:
        """Remove every fault, letting held requests go on."""
        with self._lock:
            self._release_all()
            self._faults.clear()

    def release_all(self) -> None:
        """Let every held request go on (the sandbox stops: no thread may stay waiting)."""
        with self._lock:
            self._release_all()

    def _release_all(self) -> None:
        for f in self._faults:
            f.released = f.released or f.kind == "hold"
        self._changed.notify_all()

    def release(self, name: str) -> None:
        """Let the requests the hold `name` keeps, and every later one, go on.

        Raises HoldExpired when a request already waited out the hold's timeout."""
        with self._lock:
            hold = self._hold_named(name)
            if hold.expired:
                raise HoldExpired(f"hold {name!r} expired before its release: a request "
                                  f"waited {hold.timeout:g} s")
            hold.released = True
            self._changed.notify_all()

    def wait_held(self, name: str, count: int = 1, timeout: float = 60.0) -> bool:
        """Whether `count` requests wait on the hold `name` within `timeout` seconds
        (False on timeout, as `threading.Event.wait`)."""
        with self._lock:
            hold = self._hold_named(name)
            return self._changed.wait_for(lambda: hold.held >= count, timeout)

    def _hold_named(self, name: str) -> Fault:
        found = next((f for f in self._faults if f.name == name and f.kind == "hold"), None)
        if found is None:
            raise ValueError(f"no active hold fault is named {name!r}")
        return found

    def stall(self, method: str, path: str) -> None:
        """Delay a request as `slow` and `hold` faults say, before anything answers it.

        Each fires once per request: re-picking in a loop would delay it forever.
        Raises HoldExpired when a hold is not released within its timeout."""
        slow = self.pick(method, path, ("slow",))
        if slow is not None:
            time.sleep(slow.delay)
        hold = self.pick(method, path, ("hold",))
        if hold is not None:
            self._wait_release(hold)

    def _wait_release(self, hold: Fault) -> None:
        with self._lock:
            hold.held += 1
            self._changed.notify_all()
            try:
                if not self._changed.wait_for(lambda: hold.released or hold.expired,
                                              hold.timeout):
                    hold.expired = True
                    self._changed.notify_all()
                if not hold.released:  # expired: fail now, and every later request at once
                    raise HoldExpired(f"sandbox fault {hold.name!r} held a request "
                                      f"{hold.timeout:g} s and no test released it")
            finally:
                hold.held -= 1
                self._changed.notify_all()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def pick(self, method: str, path: str, kinds: tuple[str, ...] = REQUEST_KINDS,
             when: Callable[[Fault], bool] | None = None) -> Fault | None:
        """The first fault of `kinds` that fires for this request (and count it);
        `when` narrows the faults that apply (e.g. a search lag only after a write)."""
        fired = self._fire(method, path, kinds, when)
        if fired is not None:
            for listener in self._listeners:
                listener(fired.kind)
        return fired

    def _fire(self, method: str, path: str, kinds: tuple[str, ...],
              when: Callable[[Fault], bool] | None) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.kind not in kinds or f.spent or not f.matches(method, path):
                    continue
                if when is not None and not when(f):
                    continue
                f.seen += 1
                if f.seen <= f.after:
                    continue
                if f.probability < 1 and self._rng.random() >= f.probability:
                    continue
                f.fired += 1
                return f
        return None

    def record_error(self, method: str, path: str) -> Fault | None:
        """A per-record failure for one record of a batch write, if one fires."""
        return self.pick(method, path, ("record_error",))
