"""An emotion-recognition model behind the proxy: `POST /guard/emotion/{name}`.

The proxy's config names the route (see docs/configuration.md):

    emotion_routes:
      mood:
        url: http://127.0.0.1:8090/classify
        text: $.inputs
        labels: $[*]

    GUARD_PROXY_URL=http://127.0.0.1:8787 python examples/emotion_route.py

Emotion inference needs the person's consent; the answer carries the EU AI Act Art. 50(3)
notice; in a language without validated emotion data the scores are capped.
"""

from __future__ import annotations

import os

import httpx

PROXY = os.environ.get("GUARD_PROXY_URL", "http://127.0.0.1:8787")
SUBJECT = {"X-Guard-Subject": "user-123"}


def main() -> None:
    with httpx.Client(base_url=PROXY) as client:
        refused = client.post("/guard/emotion/mood", json={"inputs": "I feel lonely today."}, headers=SUBJECT)
        print("without consent:", refused.status_code, refused.json()["guard"]["explanation"])

        client.put("/guard/consent/user-123/emotion_inference",
                   json={"expires_in_days": 365, "consent_text": "I agree to mood analysis."}).raise_for_status()
        answer = client.post("/guard/emotion/mood", json={"inputs": "I feel lonely today."}, headers=SUBJECT).json()
        print("labels:", answer["labels"][:2])
        print("notices:", answer["notices"])

        german = client.post("/guard/emotion/mood", json={"inputs": "I am so happy, wonderful!"},
                             headers={**SUBJECT, "X-Guard-Locale": "de"}).json()
        print("capped (de):", german["labels"][0], german["notices"][-1])

        at_work = client.post("/guard/emotion/mood", json={"inputs": "fine"},
                              headers={**SUBJECT, "X-Guard-Setting": "workplace", "X-Guard-Region": "DE"})
        print("at work (EU):", at_work.status_code, at_work.json()["guard"]["reasons"][0]["citation"])


if __name__ == "__main__":
    main()
