"""The reverse proxy: OpenAI- and Anthropic-compatible routes in front of the pipeline."""

from guard.proxy.app import create_app

__all__ = ["create_app"]
