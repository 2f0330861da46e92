"""A FastAPI app that uses a wrapped `AsyncOpenAI` client: every call runs the Guard's pipeline.

The context (who, where, for what) is set once per request with `guard.use_context`; every
wrapped call inside uses it. Run the app with uvicorn, or run this file to send it one request
in-process:

    MODEL_URL=http://127.0.0.1:8080/v1 python examples/fastapi_wrapped_client.py
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import openai
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

import guard

checker = guard.Guard.from_config()
llm = checker.wrap(openai.AsyncOpenAI(base_url=os.environ.get("MODEL_URL", "http://127.0.0.1:8080/v1"),
                                      api_key=os.environ.get("OPENAI_API_KEY", "sk-local")))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await llm.close()
    await checker.aclose()


app = FastAPI(lifespan=lifespan)


class Question(BaseModel):
    text: str


@app.post("/ask")
async def ask(question: Question, x_user_id: str = Header()) -> dict[str, str]:
    with guard.use_context(subject=x_user_id, setting="companion", region="DE"):
        try:
            completion = await llm.chat.completions.create(
                model="scripted-demo", messages=[{"role": "user", "content": question.text}])
        except guard.PolicyDenied as refused:
            raise HTTPException(403, refused.decision.explain().user) from None
    return {"answer": completion.choices[0].message.content or ""}


async def demo() -> None:
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        for text in ("Hi, I'm Maria Lopez.", "ok bye, I have to go"):
            response = await client.post("/ask", json={"text": text}, headers={"X-User-Id": "user-123"})
            print(f"{text!r} -> {response.json()['answer']!r}")


if __name__ == "__main__":
    asyncio.run(demo())
