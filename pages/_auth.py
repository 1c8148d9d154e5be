"""Optional password for the whole app (FOUNDERDECK_PASSWORD or ``password`` in Streamlit secrets).

The check compares SHA-256 digests with ``hmac.compare_digest``, so neither the time taken nor
an early exit reveals how much of a guess was right. After a few failures every further attempt
waits longer (doubling up to a cap); the gate is shared by the whole server process, so opening a
new browser session does not reset the count.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

ENV_VAR = "FOUNDERDECK_PASSWORD"
_AUTH_KEY = "_founderdeck_authenticated"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    wait_s: float  # how long before the next attempt is even checked
    message: str


class PasswordGate:
    """Checks passwords against one secret, with a growing lockout after repeated failures."""

    def __init__(
        self,
        password: str,
        *,
        free_attempts: int = 3,
        base_delay_s: float = 2.0,
        max_delay_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._digest = hashlib.sha256(password.encode()).digest()
        self._free, self._base, self._max, self._clock = free_attempts, base_delay_s, max_delay_s, clock
        self._failures = 0
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def attempt(self, given: str) -> Attempt:
        """Check ``given``; while locked out, refuse without checking."""
        with self._lock:
            now = self._clock()
            if now < self._locked_until:
                wait = self._locked_until - now
                return Attempt(False, wait, f"Too many failed attempts: try again in {wait:.0f} s.")
            if hmac.compare_digest(hashlib.sha256(given.encode()).digest(), self._digest):
                self._failures, self._locked_until = 0, 0.0
                return Attempt(True, 0.0, "Signed in.")
            self._failures += 1
            over = self._failures - self._free
            wait = min(self._max, self._base * 2 ** (over - 1)) if over > 0 else 0.0
            self._locked_until = now + wait
            suffix = f" Wait {wait:.0f} s before the next try." if wait else ""
            return Attempt(False, wait, f"Wrong password.{suffix}")


def configured_password() -> str | None:
    """The app password, if one is set: the environment first, then Streamlit secrets."""
    if value := os.environ.get(ENV_VAR):
        return value
    try:
        value = st.secrets.get("password")
    except Exception:  # no secrets file is the normal case, and st.secrets raises then
        return None
    return str(value) if value else None


@st.cache_resource(show_spinner=False)
def _gate(password: str) -> PasswordGate:
    return PasswordGate(password)


def require_login() -> None:
    """If a password is configured and this session has not signed in, show the sign-in form and stop."""
    password = configured_password()
    if not password or st.session_state.get(_AUTH_KEY):
        return
    st.title("FounderDeck")
    with st.form("sign_in"):
        given = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in"):
            result = _gate(password).attempt(given)
            if result.ok:
                st.session_state[_AUTH_KEY] = True
                st.rerun()
            st.error(result.message)
    st.stop()
