"""The official `anthropic` SDK through the Empathy Guard proxy (`POST /v1/messages`).

    GUARD_PROXY_URL=http://127.0.0.1:8787 python examples/anthropic_proxy.py

Shows a plain message, a streamed one, and what a refused request looks like.
"""

from __future__ import annotations

import os

import anthropic

PROXY = os.environ.get("GUARD_PROXY_URL", "http://127.0.0.1:8787")
MODEL = os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-4-5")


def main() -> None:
    client = anthropic.Anthropic(base_url=PROXY, api_key=os.environ.get("ANTHROPIC_API_KEY", "sk-ant-local"))
    message = client.messages.create(
        model=MODEL, max_tokens=256, system="You are a friendly support agent.",
        messages=[{"role": "user", "content": "Hi, I'm Maria Lopez. Can you help me?"}],
    )
    print("answer:", message.content[0].text if message.content[0].type == "text" else message.content[0])

    with client.messages.stream(model=MODEL, max_tokens=256,
                                messages=[{"role": "user", "content": "Tell me something."}]) as stream:
        print("streamed:", "".join(stream.text_stream))
        print("stop reason:", stream.get_final_message().stop_reason)

    # Emotion inference needs the person's consent; without it the proxy refuses, in Anthropic's shape.
    try:
        client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "How do I feel?"}],
                               extra_headers={"X-Guard-Subject": "user-123", "X-Guard-Purposes": "emotion_inference"})
    except anthropic.PermissionDeniedError as refused:
        print("refused:", refused.body["guard"]["explanation"])  # type: ignore[index]


if __name__ == "__main__":
    main()
