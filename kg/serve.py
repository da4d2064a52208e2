"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over the built store, and a query page.

The protocol (GET and POST, content negotiation for results JSON/XML/CSV/TSV and Turtle, query
evaluation) is Oxigraph's own server, ``oxigraph serve-read-only`` over ``outputs/store``, on a
private loopback port. In front of it a small WSGI gate (the standard library's ``wsgiref``)
admits only what a public read-only endpoint should:

- queries (``/sparql`` or ``/query``); updates and Graph Store writes get 403;
- no ``SERVICE`` (federation would let a query make the server fetch other URLs): 400;
- a time limit per query: an answer not complete within it gets 503 (Oxigraph's own
  ``--timeout-s``, set a little longer, stops the evaluation; alone it reports a cancelled query
  inside a 200 answer);
- a syntax error gets 400 naming the line and column;
- ``/`` serves an offline query page (nothing loaded from elsewhere), ``/queries.json`` the
  named queries.

It binds 127.0.0.1 unless told otherwise. Clients (SPARQLWrapper, rdflib's SPARQLStore, YASGUI,
curl) talk to ``http://HOST:PORT/sparql`` unchanged.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from kg.errors import KgError, QueryError
from kg.proc import die_with_parent
from kg.sparql import check_syntax, uses_service
from kg.store import STORE_DIR

__all__ = ["ServeError", "Gate", "Server", "oxigraph_command", "start"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 10.0
_FORWARDED = ("default-graph-uri", "named-graph-uri")  # protocol parameters passed on as they are
_MAX_BODY = 1 << 20  # a query larger than 1 MiB is refused

Start = Callable[[str, list[tuple[str, str]]], object]


class ServeError(KgError):
    """The endpoint could not start (no oxigraph, no store, port in use)."""


def oxigraph_command() -> str:
    """The ``oxigraph`` server program: beside this Python first (a virtual environment), then on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise ServeError("kg serve needs the Oxigraph server program: pip install 'kg[serve]' (or oxigraph)")
    return found


@dataclass(frozen=True)
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


def _text(status: str, message: str, extra: Iterable[tuple[str, str]] = ()) -> Answer:
    return Answer(status, [("Content-Type", "text/plain; charset=utf-8"), *extra], (message + "\n").encode("utf-8"))


class Gate:
    """The WSGI application: checks each request, then asks the Oxigraph server behind it."""

    def __init__(self, upstream: tuple[str, int], timeout: float = DEFAULT_TIMEOUT, cors: bool = False) -> None:
        self.upstream, self.timeout, self.cors = upstream, timeout, cors

    def __call__(self, environ: dict, start_response: Start) -> list[bytes]:
        answer = self.answer(environ)
        headers = list(answer.headers)
        if self.cors:
            headers += [("Access-Control-Allow-Origin", "*"),
                        ("Access-Control-Allow-Headers", "Content-Type, Accept")]
        start_response(answer.status, headers + [("Content-Length", str(len(answer.body)))])
        return [answer.body]

    def answer(self, environ: dict) -> Answer:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if method == "OPTIONS":
            return Answer("204 No Content", [("Allow", "GET, POST, OPTIONS")], b"")
        if path in ("/", "/index.html") and method in ("GET", "HEAD"):
            page = (files("kg") / "resources" / "serve" / "index.html").read_bytes()
            return Answer("200 OK", [("Content-Type", "text/html; charset=utf-8")], page)
        if path == "/queries.json" and method in ("GET", "HEAD"):
            return Answer("200 OK", [("Content-Type", "application/json")], _queries_json())
        if path in ("/sparql", "/query"):
            return self.sparql(environ)
        if path in ("/update", "/store") or method in ("PUT", "DELETE", "PATCH"):
            return _text("403 Forbidden", "this endpoint is read-only: updates are refused")
        return _text("404 Not Found", f"nothing at {path}; SPARQL queries go to /sparql")

    def sparql(self, environ: dict) -> Answer:
        """A SPARQL 1.1 Protocol query operation, checked and passed on."""
        params, query = self._read(environ)
        if isinstance(params, Answer):
            return params
        if "update" in params or "using-graph-uri" in params:
            return _text("403 Forbidden", "this endpoint is read-only: updates are refused")
        if query is None:
            return _text("400 Bad Request", "no query: send ?query=… (GET) or a form or "
                         "application/sparql-query body (POST)")
        if uses_service(query):
            return _text("400 Bad Request", "SERVICE (federated query) is not allowed on this endpoint")
        try:
            check_syntax(query)
        except QueryError as err:
            return _text("400 Bad Request", str(err))
        fields = [("query", query)] + [(k, v) for k in _FORWARDED for v in params.get(k, [])]
        return self._ask(fields, environ.get("HTTP_ACCEPT") or "*/*")

    def _read(self, environ: dict) -> tuple[dict[str, list[str]] | Answer, str | None]:
        method = environ["REQUEST_METHOD"]
        params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method in ("GET", "HEAD"):
            return params, (params.get("query") or [None])[0]
        if method != "POST":
            return _text("405 Method Not Allowed", "use GET or POST", [("Allow", "GET, POST")]), None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > _MAX_BODY:
            return _text("413 Content Too Large", "the query is larger than 1 MiB"), None
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        media = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if media == "application/sparql-update":
            return _text("403 Forbidden", "this endpoint is read-only: updates are refused"), None
        if media == "application/sparql-query":
            return params, body
        if media == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(body, keep_blank_values=True)
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
            return params, (form.get("query") or [None])[0]
        return _text("415 Unsupported Media Type", "POST a form (application/x-www-form-urlencoded) "
                     "or application/sparql-query"), None

    def _ask(self, fields: list[tuple[str, str]], accept: str) -> Answer:
        """POST the query to Oxigraph and return its complete answer, or 503 past the time limit."""
        deadline = time.monotonic() + self.timeout
        connection = http.client.HTTPConnection(*self.upstream, timeout=self.timeout)
        try:
            connection.request("POST", "/query", urllib.parse.urlencode(fields), headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
            response = connection.getresponse()
            chunks = []
            while chunk := response.read1(1 << 16):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError
            if time.monotonic() > deadline:
                raise TimeoutError
            headers = [(k, v) for k, v in response.getheaders() if k.lower() == "content-type"]
            return Answer(f"{response.status} {response.reason}", headers, b"".join(chunks))
        except (TimeoutError, socket.timeout):
            return _text("503 Service Unavailable", f"the query ran past this endpoint's time limit "
                         f"of {self.timeout:g} s", [("Retry-After", "1")])
        except (OSError, http.client.HTTPException) as err:
            return _text("502 Bad Gateway", f"the Oxigraph server behind this endpoint failed: {err}")
        finally:
            connection.close()


def _queries_json() -> bytes:
    from kg.query import named_queries
    from kg.sparql import select_lines

    # each as kg runs it with no parameter given
    doc = [{"name": q.name, "description": q.description, "sparql": select_lines(q.text, set()),
            "params": [{"name": p.name, "kind": p.kind, "optional": p.optional, "example": p.example,
                        "description": p.description} for p in q.params]}
           for q in named_queries().values()]
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if getattr(self.server, "log", None):
            self.server.log(f"{self.address_string()} {format % args}")


class Server:
    """A running endpoint: the Oxigraph process and the gate's HTTP server."""

    def __init__(self, process: subprocess.Popen, httpd: WSGIServer) -> None:
        self.process, self.httpd = process, httpd
        host, port = httpd.server_address[:2]
        self.url = f"http://{host}:{port}/sparql"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def close(self) -> None:
        if getattr(self, "_thread", None) is not None:
            self.httpd.shutdown()  # ends serve_forever in the background thread
        self.httpd.server_close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def in_background(self) -> Server:
        """Serve from a daemon thread (for tests and notebooks); ``close()`` stops it."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _merged(store: Path) -> bool:
    """True when the store's default graph holds the merge of its graphs (as kg builds it)."""
    import pyoxigraph as ox

    reader = ox.Store.read_only(str(store))
    try:
        return next(iter(reader.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None
    finally:
        del reader


def _start_oxigraph(store: Path, timeout: float) -> tuple[subprocess.Popen, int]:
    """Start ``oxigraph serve-read-only`` on a free loopback port; wait until it answers."""
    command = oxigraph_command()
    union = [] if _merged(store) else ["--union-default-graph"]  # a store kg did not build
    for _ in range(3):  # another program may take the free port before Oxigraph does
        port = _free_port()
        process = subprocess.Popen(
            [command, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}",
             *union, "--timeout-s", str(int(timeout) + 2)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=die_with_parent)  # (a killed `kg serve` leaves no server behind)
        give_up = time.monotonic() + 20
        while time.monotonic() < give_up and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return process, port
            except OSError:
                time.sleep(0.05)
        if process.poll() is None:
            process.kill()
        error = process.stderr.read().decode("utf-8", "replace").strip() if process.stderr else ""
        process.wait()
        if "address" not in error.lower():
            raise ServeError(f"{store}: the Oxigraph server did not start: {error or 'no answer'}")
    raise ServeError("the Oxigraph server found no free port")


def start(out_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          timeout: float = DEFAULT_TIMEOUT, cors: bool = False,
          log: Callable[[str], None] | None = None) -> Server:
    """Start the endpoint over ``out_dir/store``; ``port`` 0 picks a free one.

    >>> import tempfile
    >>> from kg.store import write_outputs
    >>> out = Path(tempfile.mkdtemp()); _ = write_outputs(b"<urn:g> { <urn:a> <urn:b> 1 . }", out)
    >>> import urllib.request
    >>> with start(out, port=0).in_background() as server:
    ...     urllib.request.urlopen(server.url + "?query=ASK%7B%3Fs%20%3Fp%201%7D").read()
    b'{"head":{},"boolean":true}'
    """
    store = Path(out_dir) / STORE_DIR
    if not store.is_dir():
        raise ServeError(f"no graph in {out_dir}/ — run `kg build` first")
    process, upstream = _start_oxigraph(store, timeout)
    try:
        httpd = make_server(host, port, Gate(("127.0.0.1", upstream), timeout, cors),
                            server_class=_ThreadingServer, handler_class=_QuietHandler)
    except OSError as err:
        process.terminate()
        process.wait()
        raise ServeError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    httpd.log = log  # type: ignore[attr-defined]
    return Server(process, httpd)
