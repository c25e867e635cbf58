"""Search inside the documents: every page's text in one SQLite FTS5 index, for "where does any
prospectus say X?" when extraction found nothing.

The index (``data/text_index.sqlite``) holds one row per page, keyed by the document's sha256, so a
document is read once whatever its name or however many runs saw it. FTS5's ``trigram`` tokenizer
needs no word segmentation, which Chinese text does not have: any string of three or more
characters is found through the index, case-insensitively. A pattern of one or two characters (专利,
客户) cannot use trigrams and is answered by a scan of the page texts (``LIKE``), measured in
``benchmarks/grep_bench.py``.

Page text is normalised before it is stored, and the pattern the same way, so that a word broken by
the PDF's line wrap or spaced out for layout (名 称) is still one word: NFKC (full-width letters and
digits become ASCII), whitespace between two CJK characters removed, other whitespace runs made one
space. Snippets show that normalised text.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from core.errors import PDFError, StoreError
from core.records import Record
from core.sqlite import connect, open_store
from extractors.pdftext import read_text

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    sec_code TEXT NOT NULL,
    sec_name TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    path TEXT NOT NULL,
    url TEXT,
    page_count INTEGER NOT NULL,
    first_row INTEGER,
    last_row INTEGER
);
CREATE INDEX IF NOT EXISTS documents_code ON documents(sec_code);
CREATE VIRTUAL TABLE IF NOT EXISTS pages USING fts5(body, sha256 UNINDEXED, page UNINDEXED, tokenize='trigram');
"""

#: the most hits one search returns (a pattern such as 公司 is on every page of every document)
DEFAULT_LIMIT = 200
#: characters of context on each side of a hit in its snippet (FTS5 counts tokens: one per character)
SNIPPET_TOKENS = 24

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# Fixed-width look-arounds and one character class: linear in the page's length.
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


class IndexedDocument(Record):
    """What the index knows of a document besides its pages."""

    sha256: str
    key: str = Field(description="Announcement.key, or local:<file name> for a PDF on disk")
    sec_code: str = ""
    sec_name: str = ""
    title: str
    published: dt.date | None = None
    path: str
    url: str | None = None


class TextHit(Record):
    """One page that contains the pattern."""

    sec_code: str
    sec_name: str
    title: str
    published: dt.date | None
    page: int
    snippet: str = Field(description="the normalised page text around the first hit, the hit in 【】")
    path: str
    url: str | None
    key: str

    @property
    def link(self) -> str:
        """The page itself: the exchange's PDF when known, else the local file, with ``#page=N``."""
        return f"{self.url or Path(self.path).resolve().as_uri()}#page={self.page}"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", _CJK_GAP.sub("", text)).strip()


def _phrase(pattern: str) -> str:
    """The pattern as one FTS5 phrase: a string, never query syntax (AND, NEAR, * …)."""
    return '"' + pattern.replace('"', '""') + '"'


def _like(pattern: str) -> str:
    return "%" + pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class TextIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            open_store(path, SCHEMA, wal=True)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the text index ({exc})") from exc

    def known(self, shas: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(shas))
        found: set[str] = set()
        with connect(self.path) as c:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                sql = f"SELECT sha256 FROM documents WHERE sha256 IN ({','.join('?' * len(part))})"
                found.update(r[0] for r in c.execute(sql, part))
        return found

    def add(self, doc: IndexedDocument, pages: Sequence[str]) -> None:
        """Index a document's pages (1-based in order); a document already indexed is replaced."""
        with connect(self.path) as c:
            old = c.execute("SELECT first_row, last_row FROM documents WHERE sha256 = ?", (doc.sha256,)).fetchone()
            if old and old[0] is not None:
                c.execute("DELETE FROM pages WHERE rowid BETWEEN ? AND ?", old)
            bodies = [(normalise(text), doc.sha256, n) for n, text in enumerate(pages, start=1) if text.strip()]
            c.executemany("INSERT INTO pages (body, sha256, page) VALUES (?, ?, ?)", bodies)
            # a document's pages are consecutive rows: the range lets a scan read one document's pages
            # (FTS5 indexes no other column than the text, but rowid ranges are direct)
            last = int(c.execute("SELECT max(rowid) FROM pages").fetchone()[0] or 0) if bodies else None
            first = last - len(bodies) + 1 if last is not None else None
            c.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.sha256,
                    doc.key,
                    doc.sec_code,
                    doc.sec_name,
                    doc.title,
                    doc.published.isoformat() if doc.published else None,
                    doc.path,
                    doc.url,
                    len(pages),
                    first,
                    last,
                ),
            )

    def add_pdf(self, doc: IndexedDocument) -> int:
        """Read the PDF's text (the pypdfium2 pass the extraction uses) and index it; the page count.
        A PDF without a text layer is indexed with no pages (it is not read again)."""
        text = read_text(doc.path, require_text=False)
        self.add(doc, text.pages)
        return text.page_count

    def documents(self) -> int:
        with connect(self.path) as c:
            return int(c.execute("SELECT count(*) FROM documents").fetchone()[0])

    def search(
        self,
        pattern: str,
        *,
        since: dt.date | None = None,
        company: str | None = None,
        paths: Sequence[str] = (),
        limit: int = DEFAULT_LIMIT,
    ) -> list[TextHit]:
        """Pages containing ``pattern`` (a plain string, not a query language), newest documents first
        and in page order; ``company`` is a code or part of a name; ``paths`` limits to these files."""
        needle = normalise(pattern)
        if not needle:
            raise ValueError("the search pattern is empty")
        where: list[str] = []
        args: list[object] = []
        if since:
            where.append("d.published >= ?")
            args.append(since.isoformat())
        if company:
            where.append("(d.sec_code = ? OR instr(d.sec_name, ?) > 0)")
            args += [company, company]
        if paths:
            where.append(f"d.path IN ({','.join('?' * len(paths))})")
            args += list(paths)
        docs = " AND ".join(where) or "1"
        try:
            with connect(self.path) as c:
                if len(needle) >= 3:
                    rows = c.execute(
                        "SELECT d.sec_code, d.sec_name, d.title, d.published, pages.page, "
                        f"snippet(pages, 0, '【', '】', '…', {SNIPPET_TOKENS}), d.path, d.url, d.key "
                        "FROM pages JOIN documents d ON d.sha256 = pages.sha256 "
                        f"WHERE pages MATCH ? AND {docs} "
                        "ORDER BY d.published DESC, d.sec_code, pages.page LIMIT ?",
                        [_phrase(needle), *args, limit],
                    ).fetchall()
                else:
                    rows = self._scan(c, needle, docs, args, limit)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: the text search failed ({exc})") from exc
        return [
            TextHit(
                sec_code=code,
                sec_name=name,
                title=title,
                published=dt.date.fromisoformat(published) if published else None,
                page=int(page),
                snippet=snip,
                path=path,
                url=url,
                key=key,
            )
            for code, name, title, published, page, snip, path, url, key in rows
        ]

    @staticmethod
    def _scan(c: sqlite3.Connection, needle: str, docs: str, args: list[object], limit: int) -> list[tuple[Any, ...]]:
        """A pattern too short for trigrams: the documents newest first, each one's pages read by its
        rowid range until ``limit`` pages are found (a common pattern stops after a few documents; one
        found nowhere reads every page)."""
        out: list[tuple[Any, ...]] = []
        ranges = c.execute(
            "SELECT d.sec_code, d.sec_name, d.title, d.published, d.path, d.url, d.key, d.first_row, d.last_row "
            f"FROM documents d WHERE {docs} AND d.first_row IS NOT NULL ORDER BY d.published DESC, d.sec_code",
            args,
        ).fetchall()
        like = _like(needle)
        for code, name, title, published, path, url, key, first, last in ranges:
            for page, body in c.execute(
                "SELECT page, body FROM pages WHERE rowid BETWEEN ? AND ? AND body LIKE ? ESCAPE '\\' "
                "ORDER BY page LIMIT ?",
                (first, last, like, limit - len(out)),
            ):
                out.append((code, name, title, published, page, _snippet(body, needle), path, url, key))
            if len(out) >= limit:
                break
        return out


def _snippet(body: str, needle: str, width: int = SNIPPET_TOKENS) -> str:
    """The LIKE path's snippet (FTS5 marks no hit there): the text around the first occurrence."""
    at = body.lower().find(needle.lower())
    if at < 0:
        return body[: 2 * width]
    end = at + len(needle)
    lead = "…" if at > width else ""
    tail = "…" if end + width < len(body) else ""
    return f"{lead}{body[max(0, at - width) : at]}【{body[at:end]}】{body[end : end + width]}{tail}"


def index_missing(index: TextIndex, docs: Sequence[IndexedDocument]) -> tuple[int, list[tuple[str, str]]]:
    """Index every document the index does not have yet; (documents indexed, [(path, why) refused]).
    A PDF that cannot be read is reported and skipped: one bad file never stops a search."""
    known = index.known(d.sha256 for d in docs)
    done, refused = 0, []
    todo = [d for d in docs if d.sha256 not in known]
    for n, doc in enumerate(todo, start=1):
        try:
            pages = index.add_pdf(doc)
        except PDFError as exc:
            refused.append((doc.path, str(exc)))
            log.warning("index %d/%d: %s: %s", n, len(todo), Path(doc.path).name, exc)
            continue
        done += 1
        log.info("index %d/%d: %s (%d pages)", n, len(todo), Path(doc.path).name, pages)
    return done, refused
