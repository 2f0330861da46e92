"""Empathy Guard: ethics-and-privacy governance middleware for generative and emotion AI.

`import guard` has no side effects: no logging set-up, no model loading, no environment reads.
Models and policy bundles load in `Guard.from_config` or the proxy's start-up.
"""

from guard._guard import Guard
from guard.core.config import GuardSettings, load_settings
from guard.core.context import AgeBand, Context, ModelKind, Setting
from guard.core.decision import Action, Decision, Explanation, Finding, Outcome, Reason, StageResult
from guard.core.exchange import Exchange, Message, Signals
from guard.core.stage import BaseStage, ChunkFilter, Recorder, Stage
from guard.errors import (
    AccessDenied,
    AuthError,
    BadRequest,
    ConfigError,
    ConsentRequired,
    DetectionError,
    GuardError,
    NotFound,
    OutputBlocked,
    PayloadTooLarge,
    PolicyDenied,
    PolicyError,
    RedactionError,
    StateError,
    UpstreamError,
    UpstreamTimeout,
)
from guard.inprocess import current_context, last_decision, use_context
from guard.proxy import create_app

__all__ = [
    "AccessDenied",
    "Action",
    "AgeBand",
    "AuthError",
    "BadRequest",
    "BaseStage",
    "ChunkFilter",
    "ConfigError",
    "ConsentRequired",
    "Context",
    "Decision",
    "DetectionError",
    "Exchange",
    "Explanation",
    "Finding",
    "Guard",
    "GuardError",
    "GuardSettings",
    "Message",
    "ModelKind",
    "NotFound",
    "Outcome",
    "OutputBlocked",
    "PayloadTooLarge",
    "PolicyDenied",
    "PolicyError",
    "Reason",
    "Recorder",
    "RedactionError",
    "Setting",
    "Signals",
    "Stage",
    "StageResult",
    "StateError",
    "UpstreamError",
    "UpstreamTimeout",
    "create_app",
    "current_context",
    "last_decision",
    "load_settings",
    "use_context",
]
