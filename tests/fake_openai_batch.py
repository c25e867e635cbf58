"""A local OpenAI-compatible server with the Batch API (``/v1/files``, ``/v1/batches``) as well as chat
completions (tests only).

It keeps OpenAI's shapes: ``POST /v1/files`` (multipart, ``purpose=batch``) answers a File object;
``POST /v1/batches`` a Batch object (``validating``); ``GET /v1/batches/{id}`` moves it to
``in_progress`` and then ``completed`` after ``polls_to_complete`` reads, answering every line with
``respond`` (the same hook the chat fake uses) and writing the answers as an output file of
``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`` lines;
``GET /v1/files/{id}/content`` returns a file's bytes. ``supports_batches = False`` answers 404 to
both, as providers without the Batch API do.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fake_openai import Answer, by_schema, error


class FakeBatchOpenAI:
    def __init__(self, respond: Callable[[dict[str, Any]], Answer] = by_schema) -> None:
        self.respond = respond
        self.supports_batches = True
        #: reads of a batch before it is completed (it is in_progress before that)
        self.polls_to_complete = 2
        #: custom_ids whose line the batch answers with an error (a failed request inside a batch)
        self.fail_ids: set[str] = set()
        #: what the batch reports at its end instead of "completed" (e.g. "expired")
        self.end_status = "completed"
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.chat_requests: list[dict[str, Any]] = []
        self.uploads: list[bytes] = []
        self._polls: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                path = self.path.split("?")[0]
                with server._lock:
                    if path.endswith("/chat/completions"):
                        request = json.loads(body)
                        server.chat_requests.append(request)
                        status, payload, _ = server.respond(request)
                    elif not server.supports_batches:
                        status, payload, _ = error(404, "Not found")
                    elif path.endswith("/files"):
                        status, payload = 200, server._upload(self.headers["Content-Type"], body)
                    elif path.endswith("/batches"):
                        status, payload = 200, server._create(json.loads(body))
                    else:
                        status, payload, _ = error(404, f"no route {path}")
                self._send(status, payload)

            def do_GET(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                with server._lock:
                    if not server.supports_batches:
                        status, payload, _ = error(404, "Not found")
                        self._send(status, payload)
                    elif parts[-1] == "content" and parts[-2] in server.files:
                        self._send(200, None, raw=server.files[parts[-2]])
                    elif parts[-2] == "batches" and parts[-1] in server.batches:
                        self._send(200, server._poll(parts[-1]))
                    else:
                        status, payload, _ = error(404, "Not found")
                        self._send(status, payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        data = b""
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                data = part.get_payload(decode=True) or b""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        self.uploads.append(data)
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": 1, "filename": "requests.jsonl",
                "purpose": "batch"}  # fmt: skip

    def _batch(self, batch_id: str) -> dict[str, Any]:
        return self.batches[batch_id]

    def _create(self, request: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"batch_{len(self.batches) + 1}"
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": request["endpoint"],
            "input_file_id": request["input_file_id"],
            "completion_window": request["completion_window"],
            "status": "validating",
            "created_at": 1,
            "output_file_id": None,
            "error_file_id": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }
        self._polls[batch_id] = 0
        return self.batches[batch_id]

    def _poll(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        self._polls[batch_id] += 1
        if batch["status"] in ("validating", "in_progress"):
            if self._polls[batch_id] < self.polls_to_complete:
                batch["status"] = "in_progress"
            else:
                self._finish(batch)
        return batch

    def _finish(self, batch: dict[str, Any]) -> None:
        out, errors = [], []
        lines = [json.loads(x) for x in self.files[batch["input_file_id"]].decode().splitlines() if x.strip()]
        for n, line in enumerate(lines):
            if line["custom_id"] in self.fail_ids:
                errors.append({"id": f"r{n}", "custom_id": line["custom_id"], "response": None,
                               "error": {"code": "server_error", "message": "failed inside the batch"}})  # fmt: skip
                continue
            status, payload, _ = self.respond(line["body"])
            response = {"status_code": status, "request_id": f"q{n}", "body": payload}
            out.append({"id": f"r{n}", "custom_id": line["custom_id"], "response": response, "error": None})
        if self.end_status == "completed":
            out_id = f"file-out-{batch['id']}"
            self.files[out_id] = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in out).encode()
            batch["output_file_id"] = out_id
        if errors:
            err_id = f"file-err-{batch['id']}"
            self.files[err_id] = "".join(json.dumps(x) + "\n" for x in errors).encode()
            batch["error_file_id"] = err_id
        batch["status"] = self.end_status
        batch["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(errors)}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeBatchOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
