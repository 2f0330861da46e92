"""`@guard.protect`: put the pipeline around your own function that calls a model.

    MODEL_URL=http://127.0.0.1:8080/v1 python examples/decorator.py

The function receives the redacted prompt; the caller gets the checked, restored answer. A
refusal raises `guard.PolicyDenied` before the function runs, carrying the decision.
"""

from __future__ import annotations

import os

import openai

import guard

checker = guard.Guard.from_config()  # guard.yaml / GUARD_* settings, else the built-in defaults
model = openai.OpenAI(base_url=os.environ.get("MODEL_URL", "http://127.0.0.1:8080/v1"),
                      api_key=os.environ.get("OPENAI_API_KEY", "sk-local"))


@checker.protect(context={"setting": "customer_service", "region": "DE"})
def ask(prompt: str) -> str:
    print("the model is sent:", prompt)
    completion = model.chat.completions.create(model="scripted-demo", messages=[{"role": "user", "content": prompt}])
    return completion.choices[0].message.content or ""


@checker.protect(context=lambda prompt, user: guard.Context(subject=user, purposes=("emotion_inference",)))
def read_mood(prompt: str, user: str) -> str:
    raise RuntimeError("never called: there is no consent for emotion_inference")


def main() -> None:
    print("answer:", ask("Hi, I'm Maria Lopez, my email is maria.lopez@example.com."))
    decision = guard.last_decision()  # the decision of the latest protected call in this thread
    if decision is not None:
        print("decision:", decision.id, "redactions:", dict(decision.redactions))
    try:
        read_mood("How am I feeling?", "user-123")
    except guard.PolicyDenied as refused:
        print("refused:", refused.decision.explain().user)


if __name__ == "__main__":
    main()
