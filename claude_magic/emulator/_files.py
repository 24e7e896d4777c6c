"""The Files API's storage: files held in memory or in a folder, listed in pages like the API.

Uploaded files are ``downloadable: false``, as on the API, where only files a tool wrote
(code execution) can be downloaded; :meth:`FileStore.add` makes such files, so a lesson
can show a download. A folder store keeps ``<id>`` (content) and ``<id>.json`` (metadata)
and finds them again when an emulator restarts on the same folder.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from anthropic.types.beta import BetaFileMetadata

from ._catalog import LIMIT_MESSAGE, page_limit
from ._events import new_id
from ._faults import error_body
from ._media import sniff_image

__all__ = ["MAX_FILE_BYTES", "FileStore", "StoredFile", "UploadError", "list_query", "not_downloadable", "parse_upload"]

#: The API's limit for a Files API request.
MAX_FILE_BYTES = 500 * 1024 * 1024
MIN_EXPIRY_S, MAX_EXPIRY_S = 3600, 7776000


class UploadError(ValueError):
    """An upload the API refuses with 400 ``invalid_request_error``."""


@dataclass(frozen=True)
class StoredFile:
    """A file's metadata; ``created_at``/``expires_at`` are RFC 3339 strings, as the API sends them."""

    id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: str
    downloadable: bool
    expires_at: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The JSON the API answers with (``BetaFileMetadata``)."""
        fields = {k: v for k, v in asdict(self).items() if v is not None}
        return BetaFileMetadata.model_validate({**fields, "type": "file"}).model_dump(mode="json", exclude_none=True)

    def expired(self, now: datetime) -> bool:
        # fromisoformat reads a trailing "Z" only from Python 3.11 on.
        return self.expires_at is not None and datetime.fromisoformat(self.expires_at.replace("Z", "+00:00")) <= now


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def guess_mime_type(data: bytes, filename: str, declared: str | None) -> str:
    """What the file is: its magic bytes first, then the part's type, then its name."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if (image := sniff_image(data)) is not None:
        return image
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class FileStore:
    """Files by id, newest last; thread-safe, since tests add files from outside the server."""

    def __init__(self, folder: str | Path | None = None, *, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._folder = Path(folder) if folder is not None else None
        self._files: dict[str, StoredFile] = {}
        self._content: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if self._folder is not None:
            self._folder.mkdir(parents=True, exist_ok=True)
            found = [StoredFile(**json.loads(p.read_text())) for p in self._folder.glob("file_*.json")]
            for stored in sorted(found, key=lambda f: f.created_at):
                self._files[stored.id] = stored

    def add(
        self,
        filename: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        downloadable: bool = True,
        expires_in_seconds: int | None = None,
    ) -> StoredFile:
        """Store a file; by default as a tool would have written it (downloadable)."""
        created = _now()
        name = Path(filename.replace("\\", "/")).name
        kind = guess_mime_type(data, name, mime_type)
        if not name:
            name = "unnamed" + (mimetypes.guess_extension(kind) or "")
        stored = StoredFile(
            id=new_id("file_"),
            filename=name,
            mime_type=kind,
            size_bytes=len(data),
            created_at=_stamp(created),
            downloadable=downloadable,
            expires_at=_stamp(created + timedelta(seconds=expires_in_seconds)) if expires_in_seconds else None,
        )
        with self._lock:
            if self._folder is not None:
                (self._folder / stored.id).write_bytes(data)
                (self._folder / f"{stored.id}.json").write_text(json.dumps(asdict(stored)))
            else:
                self._content[stored.id] = data
            self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """A file's metadata, or None when there is no such file."""
        with self._lock:
            return self._files.get(file_id)

    def live(self, file_id: str) -> StoredFile | None:
        """A file that exists and has not expired (the API answers 404 for either), or None."""
        stored = self.get(file_id)
        return None if stored is None or stored.expired(_now()) else stored

    def content(self, file_id: str) -> bytes:
        if self._folder is not None:
            return (self._folder / file_id).read_bytes()
        with self._lock:
            return self._content[file_id]

    def get_bytes(self, file_id: str) -> tuple[str, bytes] | None:
        """``(mime_type, content)`` of a live file, for document and image blocks."""
        stored = self.live(file_id)
        return None if stored is None else (stored.mime_type, self.content(file_id))

    def delete(self, file_id: str) -> bool:
        with self._lock:
            stored = self._files.pop(file_id, None)
            self._content.pop(file_id, None)
            if stored is not None and self._folder is not None:
                for path in (self._folder / file_id, self._folder / f"{file_id}.json"):
                    path.unlink(missing_ok=True)
        return stored is not None

    def clear(self) -> None:
        """Delete every file (between lessons, or between tests)."""
        with self._lock:
            ids = list(self._files)
        for file_id in ids:
            self.delete(file_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def page(
        self,
        *,
        limit: int = 20,
        page: str | None = None,
        after_id: str | None = None,
        before_id: str | None = None,
        ids: Sequence[str] | None = None,
        scope_id: str | None = None,
    ) -> dict[str, Any]:
        """One page, newest first: ``data``, ``has_more``, ``first_id``, ``last_id``, ``next_page``.

        ``page`` is the cursor a previous page gave as ``next_page``; ``after_id`` and
        ``before_id`` are the older cursor style, still answered. ``ids`` gives one page of
        exactly those files. Uploaded files have no scope, so a ``scope_id`` finds none.
        """
        with self._lock:
            newest_first = list(reversed(self._files.values()))
        if scope_id is not None:
            newest_first = []
        if ids is not None:
            wanted = set(ids)
            chosen, has_more = [f for f in newest_first if f.id in wanted], False
        else:
            start, stop = 0, len(newest_first)
            order = [f.id for f in newest_first]
            cursor = _cursor_id(page) if page is not None else after_id
            if cursor is not None:
                start = order.index(cursor) + 1 if cursor in order else stop
            chosen = newest_first[start : start + limit]
            has_more = start + limit < stop
            if before_id is not None:
                # Paging back towards newer files: the page just before the cursor.
                stop = order.index(before_id) if before_id in order else 0
                start = max(0, stop - limit)
                chosen, has_more = newest_first[start:stop], start > 0
        data = [f.metadata() for f in chosen]
        return {
            "data": data,
            "has_more": has_more,
            "first_id": chosen[0].id if chosen else None,
            "last_id": chosen[-1].id if chosen else None,
            # The cursor pages on towards older files; paging back with before_id uses first_id.
            "next_page": _page_cursor(chosen[-1].id) if has_more and chosen and before_id is None else None,
        }


def not_downloadable(file_id: str, request_id: str) -> dict[str, Any]:
    """The API's 400 for downloading an uploaded file; the SDK raises ``FileNotDownloadableError``."""
    message = (
        f"File {file_id} has `downloadable: false`: only files generated by a tool, "
        "such as the code execution tool, can be downloaded."
    )
    body = error_body("invalid_request_error", message, request_id)
    body["error"]["details"] = {"error_code": "file_not_downloadable"}
    return body


def _page_cursor(file_id: str) -> str:
    return "page_" + base64.urlsafe_b64encode(file_id.encode()).decode().rstrip("=")


def _cursor_id(page: str) -> str:
    """The file id a cursor starts after; UploadError for one this store did not give."""
    body = page.removeprefix("page_")
    try:
        file_id = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        file_id = ""
    if not page.startswith("page_") or not file_id.startswith("file_"):
        raise UploadError(f"page: Invalid page cursor: {page}")
    return file_id


# --- multipart/form-data ---------------------------------------------------------------------

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PARAM = re.compile(r'(\w+)="((?:\\.|[^"\\])*)"|(\w+)=([^;\s]+)')


@dataclass(frozen=True)
class Part:
    """One form field: its name, filename (for files), content type and bytes."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/form-data`` body (held in memory: bodies are capped first)."""
    match = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/form-data") or match is None:
        raise UploadError("Invalid request: the body must be multipart/form-data with a boundary")
    delimiter = b"--" + match.group(1).encode()
    parts: list[Part] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise UploadError("Invalid request: a multipart part has no header")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        params: dict[str, str] = {}
        for m in _PARAM.finditer(headers.get("content-disposition", "")):
            params[(m.group(1) or m.group(3)).lower()] = m.group(2) if m.group(1) else m.group(4)
        parts.append(Part(params.get("name", ""), params.get("filename"), headers.get("content-type"), data[:-2]))
    return parts


def parse_upload(body: bytes, content_type: str) -> tuple[Part, int | None]:
    """The uploaded file part and ``expires_in_seconds``, checked as the API checks them."""
    parts = {part.name: part for part in parse_multipart(body, content_type)}
    if "file" not in parts:
        raise UploadError("file: Field required")
    expires: int | None = None
    if "expires_in_seconds" in parts:
        try:
            expires = int(parts["expires_in_seconds"].data)
        except ValueError:
            raise UploadError("expires_in_seconds: Input should be a valid integer") from None
        if not MIN_EXPIRY_S <= expires <= MAX_EXPIRY_S:
            raise UploadError(f"expires_in_seconds: Input should be between {MIN_EXPIRY_S} and {MAX_EXPIRY_S}")
    return parts["file"], expires


def list_query(params: Mapping[str, Any], multi: Sequence[str]) -> dict[str, Any]:
    """``FileStore.page`` keywords from a list request's query, checked like the API."""
    limit = page_limit(params)
    if limit is None:
        raise UploadError(LIMIT_MESSAGE)
    ids = [i for value in multi for i in value.split(",") if i] if multi else None
    if ids is not None and len(set(ids)) > 100:
        raise UploadError("ids: List should have at most 100 items after validation")
    return {
        "limit": limit,
        "page": params.get("page"),
        "after_id": params.get("after_id"),
        "before_id": params.get("before_id"),
        "ids": ids,
        "scope_id": params.get("scope_id"),
    }
