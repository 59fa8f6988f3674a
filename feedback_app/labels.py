"""The names of a case's states, steps and channels in the reader's language: for pages (through
views_common's template filters) and for what services write for people (the register's XLSX)."""
from __future__ import annotations

from flask_babel import gettext

from workflows.deadlines import STEP_LABELS, Step
from workflows.lifecycle import STATE_LABELS, State

from .models import CHANNEL_LABELS


def state_label(state: str) -> str:
    return gettext(STATE_LABELS[State(state)])


def step_label(step: str | None) -> str:
    return gettext(STEP_LABELS[Step(step)]) if step else ""


def channel_label(channel: str | None) -> str:
    return gettext(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else (channel or "")
