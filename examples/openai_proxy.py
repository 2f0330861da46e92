"""The official `openai` SDK, unchanged, talking to a model through the Empathy Guard proxy.

Start the proxy in front of any OpenAI-compatible server (`guard serve`, or `guard demo` for a
scripted one), then:

    GUARD_PROXY_URL=http://127.0.0.1:8787 python examples/openai_proxy.py

The model never sees the name or the e-mail address; the answer gets the person's name back.
"""

from __future__ import annotations

import os

import httpx
import openai

PROXY = os.environ.get("GUARD_PROXY_URL", "http://127.0.0.1:8787")


def main() -> None:
    client = openai.OpenAI(base_url=f"{PROXY}/v1", api_key=os.environ.get("OPENAI_API_KEY", "sk-local"))
    raw = client.chat.completions.with_raw_response.create(
        model=os.environ.get("MODEL", "scripted-demo"),
        messages=[{"role": "user", "content": "Hi, I'm Maria Lopez, my email is maria.lopez@example.com."}],
        extra_headers={"X-Guard-Subject": "user-123", "X-Guard-Setting": "customer_service"},
    )
    completion = raw.parse()
    print("answer:", completion.choices[0].message.content)

    # Every answer names its decision; the decision explains itself (without any personal value).
    decision_id = raw.headers["x-guard-decision"]
    decision = httpx.get(f"{PROXY}/guard/decisions/{decision_id}").json()
    print("action:", decision["action"])
    print("redactions:", decision["redactions"])
    print("why:", decision["explanation"]["user"])

    # Streaming works the same way.
    stream = client.chat.completions.create(
        model=os.environ.get("MODEL", "scripted-demo"), stream=True,
        messages=[{"role": "user", "content": "Tell me something."}],
    )
    print("streamed:", "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))


if __name__ == "__main__":
    main()
