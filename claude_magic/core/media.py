"""A prompt's attachments made ready to send: the model's support checked, large PDFs uploaded.

Runs before any Messages request. The model's ``image_input`` and ``pdf_input`` are read
from ``GET /v1/models/{id}`` once per endpoint and model for as long as the kernel runs; a
catalogue that cannot be reached is no gate (the API's own answer is then what the user
sees). A PDF over the inline size goes through the Files API, and the request then carries
the Files API's beta header.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..exceptions import UserError
from ..secrets import redact
from .attachments import Attachment, AttachmentError, check_media_count, content_blocks

__all__ = ["FILES_BETA", "MediaSupport", "prepare_media"]

FILES_BETA = "files-api-2025-04-14"
LOOKUP_TIMEOUT_S = 10.0


class MediaSupport:
    """What each model takes, as its catalogue entry says (``None``: not known)."""

    def __init__(self) -> None:
        self._known: dict[tuple[Hashable, str], dict[str, bool] | None] = {}

    async def lookup(self, client: Any, endpoint: Hashable, model: str) -> dict[str, bool] | None:
        key = (endpoint, model)
        if key in self._known:
            return self._known[key]
        try:
            info = await client.models.retrieve(model, timeout=LOOKUP_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - the catalogue helps; it never blocks a request
            if getattr(exc, "status_code", None) == 404:
                self._known[key] = None  # an unknown id: the Messages API will say what it thinks
            return None
        caps = getattr(info, "capabilities", None)
        support = None if caps is None else {
            "image": bool(getattr(getattr(caps, "image_input", None), "supported", True)),
            "pdf": bool(getattr(getattr(caps, "pdf_input", None), "supported", True)),
        }
        self._known[key] = support
        return support


async def prepare_media(
    parts: tuple[Any, ...], params: dict[str, Any], *, client: Any, endpoint: Hashable, model: str,
    support: MediaSupport,
) -> None:
    """Check and upload ``parts``' attachments, then make them the request's last user turn."""
    attachments = [p for p in parts if isinstance(p, Attachment)]
    check_media_count(attachments)
    kinds = {a.kind for a in attachments}
    if kinds & {"image", "pdf"}:
        known = await support.lookup(client, endpoint, model)
        for kind, word in (("image", "images"), ("pdf", "PDFs")):
            if known is not None and kind in kinds and not known[kind]:
                where = next(a.where for a in attachments if a.kind == kind)
                raise AttachmentError(
                    f"{model} does not take {word} (its capabilities say so): choose another model with -m, "
                    f"or leave {where} out."
                )
    ready = []
    for part in parts:
        if isinstance(part, Attachment) and part.upload is not None:
            part = part.with_file_id(await _upload(client, *part.upload, where=part.where))
        ready.append(part)
    if any(isinstance(p, Attachment) and p.block.get("source", {}).get("type") == "file" for p in ready):
        params["extra_headers"] = {**params.get("extra_headers", {}), "anthropic-beta": FILES_BETA}
    messages = list(params["messages"])
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    messages[last_user] = {"role": "user", "content": content_blocks(ready)}
    params["messages"] = messages


async def _upload(client: Any, filename: str, raw: bytes, *, where: str) -> str:
    try:
        uploaded = await client.beta.files.upload(file=(filename, raw, "application/pdf"))
    except Exception as exc:  # noqa: BLE001 - any failure is one line before the request
        raise UserError(f"{where}: the upload through the Files API failed ({redact(str(exc))[:200]}).") from None
    return str(uploaded.id)
