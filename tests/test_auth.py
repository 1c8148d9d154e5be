"""The optional app password: constant-time check, growing lockout, and the sign-in gate in the app."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pages._auth import PasswordGate
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("navigation_only")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_right_password_passes_and_resets_the_count():
    gate = PasswordGate("s3cret", clock=FakeClock())
    assert not gate.attempt("wrong").ok
    assert gate.attempt("s3cret").ok


def test_failures_beyond_the_free_ones_lock_out_with_doubling_delays():
    clock = FakeClock()
    gate = PasswordGate("s3cret", free_attempts=2, base_delay_s=2, max_delay_s=5, clock=clock)
    assert [gate.attempt("x").wait_s for _ in range(2)] == [0, 0]
    third = gate.attempt("x")
    assert third.wait_s == 2 and "Wait 2 s" in third.message
    locked = gate.attempt("s3cret")  # even the right password is not checked while locked
    assert not locked.ok and "try again" in locked.message
    clock.now += 2
    assert gate.attempt("x").wait_s == 4
    clock.now += 4
    assert gate.attempt("x").wait_s == 5  # capped
    clock.now += 5
    assert gate.attempt("s3cret").ok


def test_the_app_asks_for_the_password_before_showing_anything(app_db, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_PASSWORD", "open sesame")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert [t.value for t in at.title] == ["FounderDeck"] and not at.metric and not at.sidebar.selectbox
    at.text_input(key="sign_in_password").input("guess")
    at.button(key="FormSubmitter:sign_in-Sign in").click().run()
    assert "Wrong password" in at.error[0].value and not at.metric
    at.text_input(key="sign_in_password").input("open sesame")
    at.button(key="FormSubmitter:sign_in-Sign in").click().run()
    assert not at.exception
    assert [m.label for m in at.metric][:2] == ["Monthly burn (this month)", "Cash"]


@pytest.mark.usefixtures("app_db")
def test_no_password_configured_means_no_sign_in(monkeypatch):
    monkeypatch.delenv("FOUNDERDECK_PASSWORD", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and at.metric
