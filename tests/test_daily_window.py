"""The served daily deployment takes its parameters from Prefect's form and API: they are checked as
the CLI checks its flags (a window ending in 2099 was accepted)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ConfigError
from core.params import MAX_LOOKBACK_DAYS, check_daily_window

NOW = dt.date(2026, 12, 3)


def test_a_window_ending_in_the_future_or_an_unbounded_lookback_is_refused_with_one_line() -> None:
    with pytest.raises(ConfigError, match="after today in Beijing"):
        check_daily_window(dt.date(2099, 12, 31), 1, NOW)
    for bad in (0, -3, MAX_LOOKBACK_DAYS + 1):
        with pytest.raises(ConfigError, match="lookback_days"):
            check_daily_window(None, bad, NOW)


def test_today_tomorrow_for_a_clock_a_little_ahead_and_the_past_are_windows() -> None:
    assert check_daily_window(None, 1, NOW) == NOW
    assert check_daily_window(NOW + dt.timedelta(days=1), 1, NOW) == NOW + dt.timedelta(days=1)
    assert check_daily_window(dt.date(2020, 1, 1), 30, NOW) == dt.date(2020, 1, 1)


@pytest.mark.prefect
def test_the_daily_flow_called_with_a_future_day_fails_with_that_line_before_any_work(
    replay_env: object,
) -> None:
    from flows.pipeline import daily_flow

    state = daily_flow(today=dt.date(2099, 12, 31), return_state=True)
    assert state.is_failed() and "after today in Beijing" in str(state.message)
