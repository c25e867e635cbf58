"""A local OpenAI-compatible chat-completions server with scripted answers (tests only)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def chat(
    content: str,
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    model: str = "fake-model",
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return (
        200,
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
        {},
    )


def error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return (
        status,
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}},
        headers or {},
    )


Answer = tuple[int, dict[str, Any], dict[str, str]]

#: A valid answer for each registered task's schema (by its ``json_schema`` name).
ANSWERS = {
    "AnnouncementClassOut": {"category": "招股/IPO", "confidence": 0.9, "rationale": "标题含招股说明书"},
    "SectionSummaryOut": {"summary": "概述。", "key_points": ["要点"]},
    "CompetitorClassOut": {
        "role": "competitor",
        "listed": "unknown",
        "domicile": "domestic",
        "stock_code": None,
        "rationale": "竞争对手章节",
    },
    "CompetitorExtractOut": {"companies": []},
}


def schema_of(body: dict[str, Any]) -> str:
    """Which task asked: the ``json_schema`` name of its response format."""
    return str(body.get("response_format", {}).get("json_schema", {}).get("name", "AnnouncementClassOut"))


def group_ids(body: dict[str, Any]) -> list[int]:
    """The item ids of a group request (a grouped task's prompt ends with its items as a JSON list)."""
    last = str(body["messages"][1]["content"]).rsplit("\n", 1)[-1]
    return [int(item["id"]) for item in json.loads(last)]


def by_schema(body: dict[str, Any]) -> Answer:
    """A valid answer for whichever task asked (a ``respond`` hook); for a group request
    (``<Schema>Group``), one answer per item id."""
    name = schema_of(body)
    if name.endswith("Group") and name not in ANSWERS:
        answers = [{"id": n, **ANSWERS[name.removesuffix("Group")]} for n in group_ids(body)]
        return chat(json.dumps({"answers": answers}, ensure_ascii=False))
    return chat(json.dumps(ANSWERS[name], ensure_ascii=False))


class FakeOpenAI:
    def __init__(self, respond: Callable[[dict[str, Any]], Answer] | None = None) -> None:
        """Answers come from :meth:`queue` in order, or, with ``respond``, from the request body."""
        self.respond = respond
        self.answers: deque[Answer] = deque()
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str] = []
        #: seconds each answer takes (a real model's latency), and the most requests seen at once
        self.latency = 0.0
        self.in_flight = self.max_in_flight = 0
        #: hold the answers to each group of this many consecutive requests until the whole group has
        #: arrived (at most 10 s): a test of concurrency that does not depend on how fast the client
        #: sends on a busy machine (a client sending fewer at once leaves a group waiting)
        self.gather = 0
        self.arrivals = 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append(body)
                    server.auth.append(self.headers.get("Authorization", ""))
                    if server.respond is not None:
                        status, payload, headers = server.respond(body)
                    else:
                        status, payload, headers = (
                            server.answers.popleft() if server.answers else error(500, "no answer")
                        )
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    index, server.arrivals = server.arrivals, server.arrivals + 1
                    if server.gather:
                        group_end = (index // server.gather + 1) * server.gather
                        server._arrived.notify_all()
                        server._arrived.wait_for(lambda: server.arrivals >= group_end, timeout=10)
                time.sleep(server.latency)
                with server._lock:
                    server.in_flight -= 1
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def queue(self, *answers: tuple[int, dict[str, Any], dict[str, str]]) -> None:
        self.answers.extend(answers)
