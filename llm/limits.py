"""Requests-per-minute and tokens-per-minute limits for one endpoint, shared by every in-flight call.

Before a call, :meth:`RateLimiter.acquire` waits until both the requests and the (estimated) tokens of
the last 60 seconds leave room for it; after the call :meth:`RateLimiter.settle` replaces the estimate
with the tokens the endpoint reported. :meth:`RateLimiter.hold` (a 429's ``Retry-After``) pauses every
caller, not only the one that was refused. The clock and sleep are injectable so tests need no waiting.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from core import cancel

WINDOW_S = 60.0


@dataclass
class _Ticket:
    at: float
    tokens: int


class RateLimiter:
    def __init__(
        self,
        rpm: int = 0,
        tpm: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = cancel.sleep,
    ) -> None:
        """``rpm``/``tpm`` of 0 mean no limit of that kind."""
        self.rpm, self.tpm = rpm, tpm
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._sent: deque[_Ticket] = deque()
        self._paused_until = 0.0
        self.waited_s = 0.0

    def _wait_needed(self, now: float, tokens: int) -> float:
        while self._sent and self._sent[0].at <= now - WINDOW_S:
            self._sent.popleft()
        wait = max(0.0, self._paused_until - now)
        if self.rpm and len(self._sent) >= self.rpm:
            wait = max(wait, self._sent[len(self._sent) - self.rpm].at + WINDOW_S - now)
        if self.tpm and self._sent:
            used = sum(t.tokens for t in self._sent)
            if used + tokens > self.tpm:  # free the oldest calls until this one fits (one larger than
                freed = 0  # the whole budget waits for an empty window, then goes alone)
                for t in self._sent:
                    freed += t.tokens
                    if used - freed + tokens <= self.tpm:
                        break
                wait = max(wait, t.at + WINDOW_S - now)
        return wait

    def acquire(self, tokens: int = 0) -> _Ticket:
        """Block until a call of about ``tokens`` tokens may be sent; the returned ticket is settled
        with the real count afterwards."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now, tokens)
                if wait <= 0:
                    ticket = _Ticket(now, tokens)
                    self._sent.append(ticket)
                    return ticket
            self.waited_s += wait
            self._sleep(wait)

    def settle(self, ticket: _Ticket, tokens: int) -> None:
        with self._lock:
            ticket.tokens = tokens

    def hold(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` (a 429's Retry-After applies to every in-flight caller)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class AdaptiveSlots:
    """Model calls in flight, with a limit that adapts to the endpoint (additive increase,
    multiplicative decrease, as TCP's congestion window): it grows by one after a whole window of
    calls (``limit`` of them) ends without a 429 or a timeout, up to ``maximum``, and halves, down to
    one, on each call that ends in one. ``maximum`` equal to ``start`` keeps it fixed (only halving
    and recovering)."""

    def __init__(self, start: int, maximum: int | None = None) -> None:
        self.limit = max(1, start)
        self.start = self.limit
        self.maximum = max(self.limit, maximum or self.limit)
        self.in_flight = 0
        self.peak = 0
        self._clean = 0
        self._cond = threading.Condition()

    def acquire(self) -> None:
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait(0.5)
                cancel.check("a model call's slot")
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def release(self, *, throttled: bool = False) -> None:
        """End a call; ``throttled``: it ended in a 429 or a timeout."""
        with self._cond:
            self.in_flight -= 1
            if throttled:
                self.limit = max(1, self.limit // 2)
                self._clean = 0
            else:
                self._clean += 1
                ceiling = self.maximum if self.maximum > self.start else self.start
                if self._clean >= self.limit and self.limit < ceiling:
                    self.limit += 1
                    self._clean = 0
            self._cond.notify_all()
