"""`Guard`: the pipeline with its stages and state, built from settings or handed in piece by piece."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from guard.core.config import GuardSettings, load_settings
from guard.core.memory import MemoryRecorder
from guard.core.pipeline import Pipeline
from guard.core.subjects import SubjectHasher, load_or_create_key

if TYPE_CHECKING:
    from guard.core.stage import Recorder, Stage

__all__ = ["Guard"]

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C")


class Guard:
    """One configured pipeline. Doors (proxy, decorator, wrapped clients) share it.

    Build it with `Guard.from_config(...)` for the configured defaults, or pass `stages` and
    `recorder` directly (tests, custom assemblies). `services` holds the named state objects the
    doors need besides the pipeline (e.g. `consents`, `vault`), each closed by `aclose()`.
    """

    def __init__(
        self,
        settings: GuardSettings | None = None,
        *,
        stages: Sequence[Stage] = (),
        recorder: Recorder | None = None,
        hasher: SubjectHasher | None = None,
        services: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings or GuardSettings()
        self.hasher = hasher or SubjectHasher(os.urandom(32))
        self.services: dict[str, Any] = dict(services or {})
        self.pipeline = Pipeline(
            # `is None`, not `or`: an empty recorder (len 0) is falsy but must still be used.
            stages, recorder if recorder is not None else MemoryRecorder(),
            fail_open=self.settings.pipeline.fail_open,
        )

    @classmethod
    def from_config(cls, config: GuardSettings | str | os.PathLike[str] | None = None) -> Guard:
        """Build the full pipeline from settings, a config file path, or the default lookup."""
        settings = config if isinstance(config, GuardSettings) else load_settings(config)
        from guard._build import build_guard

        return build_guard(settings)

    @staticmethod
    def subject_hasher(settings: GuardSettings) -> SubjectHasher:
        path = settings.subject_key_file or str(settings.data_path("subject.key"))
        return SubjectHasher(load_or_create_key(Path(path).expanduser()))

    def protect(self, *, context: Any = None, api: str = "python") -> Callable[[F], F]:
        """Decorator: run this pipeline around a function that calls a model (see guard.inprocess.protect)."""
        from guard.inprocess.protect import protect

        return protect(self, context=context, api=api)

    def wrap(self, client: C) -> C:
        """An OpenAI or Anthropic SDK client whose calls run this pipeline (see guard.inprocess.wrap)."""
        from guard.inprocess.wrap import wrap

        return wrap(self, client)

    async def aclose(self) -> None:
        await self.pipeline.aclose()
        for service in self.services.values():
            close = getattr(service, "aclose", None)
            if close is not None:
                await close()
