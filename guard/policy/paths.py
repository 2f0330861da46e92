"""Where the shipped policy pack lives: the repository's `policies/` or the wheel's `guard/_policies`."""

from __future__ import annotations

from pathlib import Path

from guard.errors import ConfigError

__all__ = ["default_policy_dir", "resolve_policy_dir"]

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def default_policy_dir() -> Path:
    """The shipped pack: `guard/_policies` in a wheel, else `policies/` beside the package (editable)."""
    for candidate in (_PACKAGE_ROOT / "_policies", _PACKAGE_ROOT.parent / "policies"):
        if (candidate / "guard").is_dir():
            return candidate
    raise ConfigError(
        "The shipped policy pack was not found next to the installed package.",
        hint="Reinstall empathy-guard, or set policy.dir to a policy directory.",
    )


def resolve_policy_dir(configured: str | None) -> Path:
    """The configured directory (checked to exist), else the shipped pack."""
    if configured is None:
        return default_policy_dir()
    path = Path(configured).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"The policy directory {path} does not exist.",
            hint="Set policy.dir to a directory holding .rego files and a data/ folder, or unset it.",
        )
    return path
