"""The model client against an endpoint that answers 200 with the wrong shape, trickles its answer, or
fails in any of the ways the ``openai`` package reports: each is an :class:`~core.errors.LLMError`
subclass with the cause in its message, never a raw ``openai``, ``httpx`` or JSON exception.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from pydantic import BaseModel

from core.errors import LLMError
from llm.client import OpenAICompatibleModel, Prompt
from tests.conftest import make_settings
from tests.hostile.server import HostileServer, send

ROUTE = "/v1/chat/completions"


class Out(BaseModel):
    answer: str


PROMPT = Prompt(task="t", system="s", user="u", schema=Out)


def model(srv: HostileServer, tmp_path: Path, **kw: Any) -> OpenAICompatibleModel:
    s = make_settings(
        tmp_path,
        llm_api_key="sk-test",
        llm_base_url=srv.url + "/v1",
        llm_timeout_s=kw.pop("timeout", 5.0),
        llm_max_retries=0,
        llm_response_format="json_object",
        **kw,
    )
    return OpenAICompatibleModel(s)


def completion(**fields: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": '{"answer": "x"}'}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    body.update(fields)
    return json.dumps(body).encode()


WRONG_SHAPES: dict[str, bytes] = {
    "empty_200_body": b"",
    "not_json": b"hello, I am a model",
    "choices_a_string": completion(choices="abc"),
    "message_null": completion(choices=[{"index": 0, "message": None, "finish_reason": "stop"}]),
    "content_an_object": completion(
        choices=[{"index": 0, "message": {"role": "assistant", "content": {"answer": "x"}}, "finish_reason": "stop"}]
    ),
    "choice_a_number": completion(choices=[5]),
    "deep_json": b"[" * 100_000 + b"]" * 100_000,
    "json_array": b"[1, 2]",
}


@pytest.mark.parametrize("name", sorted(WRONG_SHAPES))
def test_an_answer_of_the_wrong_shape_is_an_llm_error(srv: HostileServer, tmp_path: Path, name: str) -> None:
    body = WRONG_SHAPES[name]
    srv.routes[ROUTE] = lambda h, _: send(h, 200, body, {"Content-Type": "application/json"})
    with pytest.raises(LLMError):
        model(srv, tmp_path).complete(PROMPT, [])


def test_usage_of_the_wrong_type_counts_as_zero(srv: HostileServer, tmp_path: Path) -> None:
    body = completion(
        usage={"prompt_tokens": "3", "completion_tokens": None, "total_tokens": "x"},
        choices=[{"index": 0, "message": {"role": "assistant", "content": '{"answer": "x"}'}, "finish_reason": 7}],
    )
    srv.routes[ROUTE] = lambda h, _: send(h, 200, body, {"Content-Type": "application/json"})
    answer = model(srv, tmp_path).complete(PROMPT, [])
    assert (answer.text, answer.prompt_tokens, answer.completion_tokens, answer.finish_reason) == (
        '{"answer": "x"}',
        0,
        0,
        None,
    )


def test_an_endpoint_sending_one_space_at_a_time_fails_within_its_deadline(srv: HostileServer, tmp_path: Path) -> None:
    # each read returns within the read timeout, so only a total deadline stops it; this one would
    # trickle for 8 s and then answer properly (a client without a deadline returns that answer)
    body = completion()
    pad = 24

    def trickle(h: BaseHTTPRequestHandler, _: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(pad + len(body)))
        h.end_headers()
        for _ in range(pad):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(8 / pad)
        h.wfile.write(body)

    srv.routes[ROUTE] = trickle
    with pytest.raises(LLMError, match=r"deadline|timed out|Timeout"):
        model(srv, tmp_path, timeout=1.5).complete(PROMPT, [])


# --- the sweep: every exception class of the openai package (and its HTTP layer) at the call -------------

_REQ = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def _status(cls: type[openai.APIStatusError], code: int) -> openai.APIStatusError:
    return cls(f"HTTP {code}", response=httpx2.Response(code, request=_REQ), body=None)


OPENAI_EXCEPTIONS: list[BaseException] = [
    openai.APIConnectionError(request=_REQ),
    openai.APITimeoutError(request=_REQ),
    _status(openai.BadRequestError, 400),
    _status(openai.AuthenticationError, 401),
    _status(openai.PermissionDeniedError, 403),
    _status(openai.NotFoundError, 404),
    _status(openai.ConflictError, 409),
    _status(openai.UnprocessableEntityError, 422),
    _status(openai.RateLimitError, 429),
    _status(openai.InternalServerError, 500),
    _status(openai.APIStatusError, 599),
    openai.APIResponseValidationError(response=httpx2.Response(200, request=_REQ), body=None),
    openai.ContentFilterFinishReasonError(),
    openai.OpenAIError("client misconfigured"),
    httpx2.ReadTimeout("read timed out", request=_REQ),
    httpx2.RemoteProtocolError("peer closed connection", request=_REQ),
    json.JSONDecodeError("Expecting value", "", 0),
    RecursionError("maximum recursion depth exceeded"),
    TypeError("'NoneType' object is not subscriptable"),
    KeyError("choices"),
]


@pytest.mark.parametrize("exc", OPENAI_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_openai_exception_escapes_the_model_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    with HostileServer() as srv:
        m = model(srv, tmp_path)

        def boom(*_a: Any, **_k: Any) -> Any:
            raise exc

        monkeypatch.setattr(m.client.chat.completions, "create", boom)
        with pytest.raises(LLMError) as err:
            m.complete(PROMPT, [])
    assert type(exc).__name__ in str(err.value) or isinstance(exc, openai.RateLimitError | openai.BadRequestError)
