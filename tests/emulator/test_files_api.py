"""The Files API over a real socket, through the SDK: upload, list, metadata, download, delete."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from collections.abc import Callable
from pathlib import Path

import anthropic
import httpx2
import pytest

from claude_magic.emulator import Emulator
from claude_magic.emulator import _files
from claude_magic.emulator._files import FileStore

from .helpers import KEY, MODEL
from .media_helpers import IMAGES, pdf


@pytest.fixture(autouse=True)
def _no_files(server: Emulator) -> None:
    """The module shares one emulator: every test starts with no files."""
    server.files.clear()


def test_an_upload_is_listed_retrieved_and_deleted(client: anthropic.Anthropic) -> None:
    uploaded = client.beta.files.upload(file=("report.pdf", pdf([["Hello."]]), "application/pdf"))

    listed = client.beta.files.list()
    retrieved = client.beta.files.retrieve_metadata(uploaded.id)
    deleted = client.beta.files.delete(uploaded.id)

    assert uploaded.id.startswith("file_") and uploaded.type == "file"
    assert (uploaded.filename, uploaded.mime_type, uploaded.size_bytes) == ("report.pdf", "application/pdf", len(pdf([["Hello."]])))
    assert uploaded.downloadable is False
    assert [f.id for f in listed.data] == [uploaded.id]
    assert retrieved == uploaded
    assert (deleted.id, deleted.type) == (uploaded.id, "file_deleted")
    assert client.beta.files.list().data == []


def test_an_unknown_file_is_a_404_naming_it(client: anthropic.Anthropic) -> None:
    for call in (client.beta.files.retrieve_metadata, client.beta.files.delete, client.beta.files.download):
        with pytest.raises(anthropic.NotFoundError) as caught:
            call("file_doesnotexist")

        assert caught.value.body["error"] == {"type": "not_found_error", "message": "File not found: file_doesnotexist"}


def test_the_list_pages_newest_first_with_a_cursor(client: anthropic.Anthropic) -> None:
    ids = [client.beta.files.upload(file=(f"n{i}.txt", f"note {i}".encode(), "text/plain")).id for i in range(5)]

    first = client.beta.files.list(limit=2)
    everything = [f.id for f in client.beta.files.list(limit=2)]  # the SDK follows next_page

    assert [f.id for f in first.data] == ids[::-1][:2]
    assert first.has_more and first.next_page and first.next_page.startswith("page_")
    assert everything == ids[::-1]
    assert [f.id for f in client.beta.files.list(ids=[ids[1], ids[3]]).data] == [ids[3], ids[1]]


def test_the_older_after_id_and_before_id_cursors_page_too() -> None:
    store = FileStore()
    ids = [store.add(f"{i}.txt", b"x").id for i in range(5)]  # listed newest first: 4 3 2 1 0

    after = store.page(limit=2, after_id=ids[4])
    before = store.page(limit=2, before_id=ids[0])
    first = store.page(limit=2, before_id=ids[3])

    assert ([f["id"] for f in after["data"]], after["has_more"]) == ([ids[3], ids[2]], True)
    assert ([f["id"] for f in before["data"]], before["has_more"]) == ([ids[2], ids[1]], True)
    assert (after["next_page"] is not None, before["next_page"]) == (True, None)
    assert ([f["id"] for f in first["data"]], first["has_more"]) == ([ids[4]], False)


def test_a_list_with_a_cursor_it_never_gave_is_refused(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="page: Invalid page cursor: page_nonsense"):
        client.beta.files.list(page="page_nonsense")
    with pytest.raises(anthropic.BadRequestError, match="limit: Input should be between 1 and 1000"):
        client.beta.files.list(limit=0)


def test_an_uploaded_file_is_not_downloadable_as_on_the_api(client: anthropic.Anthropic) -> None:
    uploaded = client.beta.files.upload(file=("a.txt", b"text", "text/plain"))

    with pytest.raises(anthropic.BadRequestError) as caught:
        client.beta.files.download(uploaded.id)

    assert caught.value.error_code == "file_not_downloadable"
    assert "downloadable: false" in caught.value.message


def test_a_file_a_tool_wrote_downloads_byte_for_byte(server: Emulator, client: anthropic.Anthropic) -> None:
    content = (IMAGES / "python.png").read_bytes()
    stored = server.files.add("chart.png", content)

    downloaded = client.beta.files.download(stored.id)

    assert downloaded.read() == content
    assert downloaded.http_response.headers["content-type"] == "image/png"
    assert client.beta.files.retrieve_metadata(stored.id).downloadable is True


def test_the_type_comes_from_the_bytes_and_a_missing_name_becomes_unnamed(client: anthropic.Anthropic) -> None:
    jpeg = client.beta.files.upload(file=("photo.png", (IMAGES / "python.jpg").read_bytes(), "application/octet-stream"))
    bare = client.beta.files.upload(file=pdf([["x."]]))
    path = client.beta.files.upload(file=("../../etc/notes.txt", b"plain words", "text/plain"))

    assert jpeg.mime_type == "image/jpeg"
    assert (bare.filename, bare.mime_type) == ("unnamed.pdf", "application/pdf")
    assert path.filename == "notes.txt"


def test_the_beta_header_is_optional_and_accepted(server: Emulator, client: anthropic.Anthropic) -> None:
    client.beta.files.list()
    client.beta.files.list(betas=["files-api-2025-04-14"])

    assert "anthropic-beta" not in server.requests[0].headers
    assert server.requests[1].headers["anthropic-beta"] == "files-api-2025-04-14"


def test_expiry_is_checked_and_reported(client: anthropic.Anthropic) -> None:
    kept = client.beta.files.upload(file=("a.txt", b"x", "text/plain"), expires_in_seconds=3600)

    with pytest.raises(anthropic.BadRequestError, match="expires_in_seconds: Input should be between 3600 and 7776000"):
        client.beta.files.upload(file=("a.txt", b"x", "text/plain"), expires_in_seconds=60)

    assert kept.expires_at is not None
    assert round((kept.expires_at - kept.created_at).total_seconds()) == 3600


def test_an_expired_file_is_gone(client: anthropic.Anthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    uploaded = client.beta.files.upload(file=("a.txt", b"short-lived", "text/plain"), expires_in_seconds=3600)
    assert uploaded.expires_at is not None
    later = uploaded.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(_files, "_now", lambda: later)  # the server's clock, just past the expiry

    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata(uploaded.id)
    with pytest.raises(anthropic.NotFoundError, match=f"File not found: {uploaded.id}"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[{"role": "user", "content": [{"type": "document", "source": {"type": "file", "file_id": uploaded.id}}]}],
        )


def test_the_log_keeps_what_was_uploaded_not_its_bytes(server: Emulator, client: anthropic.Anthropic) -> None:
    uploaded = client.beta.files.upload(file=("big.txt", b"y" * 100_000, "text/plain"))

    assert server.requests[-1].body == {"file": uploaded.model_dump(mode="json", exclude_none=True)}


def test_without_a_key_the_files_api_is_refused(server: Emulator) -> None:
    with httpx2.Client(base_url=server.url) as http:
        response = http.get("/v1/files")

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_an_upload_over_the_limit_is_a_413(tmp_path: Path) -> None:
    with Emulator(max_file_bytes=10_000) as small, anthropic.Anthropic(api_key=KEY, base_url=small.url, max_retries=0) as client:
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.beta.files.upload(file=("big.bin", b"z" * 20_000, "application/octet-stream"))
        fits = client.beta.files.upload(file=("small.bin", b"z" * 5_000, "application/octet-stream"))

    assert caught.value.status_code == 413
    assert caught.value.body["error"]["type"] == "request_too_large"
    assert fits.size_bytes == 5_000


def test_a_folder_store_survives_a_restart(tmp_path: Path) -> None:
    text = b"The folder keeps this. It is read again after a restart."
    with Emulator(files_dir=tmp_path) as first, anthropic.Anthropic(api_key=KEY, base_url=first.url, max_retries=0) as client:
        uploaded = client.beta.files.upload(file=("kept.txt", text, "text/plain"))
    with Emulator(files_dir=tmp_path) as second, anthropic.Anthropic(api_key=KEY, base_url=second.url, max_retries=0) as client:
        listed = client.beta.files.list().data
        answer = client.messages.create(
            model=MODEL,
            max_tokens=300,
            messages=[{"role": "user", "content": [
                {"type": "document", "source": {"type": "file", "file_id": uploaded.id}, "citations": {"enabled": True}},
                {"type": "text", "text": "Quote it."},
            ]}],
        )  # fmt: skip

    assert [f.id for f in listed] == [uploaded.id]
    assert (tmp_path / uploaded.id).read_bytes() == text
    cited = [c for block in answer.content if block.type == "text" for c in block.citations or []]
    assert [(c.cited_text, c.file_id) for c in cited] == [("The folder keeps this.", uploaded.id)]


def test_a_message_naming_an_unknown_file_is_refused(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError, match="File not found: file_gone"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[{"role": "user", "content": [{"type": "document", "source": {"type": "file", "file_id": "file_gone"}}]}],
        )


def test_files_stay_apart_between_emulators(make_client: Callable[..., anthropic.Anthropic]) -> None:
    with Emulator() as other, anthropic.Anthropic(api_key=KEY, base_url=other.url, max_retries=0) as elsewhere:
        elsewhere.beta.files.upload(file=("a.txt", b"x", "text/plain"))

    assert make_client().beta.files.list().data == []


def test_the_command_line_keeps_uploads_in_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    command = [sys.executable, "-m", "claude_magic.emulator", "--port", "0", "--files-dir", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        with anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0) as client:
            uploaded = client.beta.files.upload(file=("kept.txt", b"kept on disk", "text/plain"))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)

    assert (folder / uploaded.id).read_bytes() == b"kept on disk"
    assert err == ""
