"""Reading a file's content credentials back: valid, tampered or absent, and who signed.

Any file may be checked, from anywhere: nothing is fetched over the network
(remote manifests and OCSP are off), nothing in the file is run, and a
manifest is looked for inside the file, then in a sidecar beside it
(``name.ext.c2pa``, or ``name.c2pa`` as other tools write it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.credentials.keys import ORGANISATION
from genloom.core.credentials.manifest import MODEL_KEY, RECIPE_LABEL, mime_type
from genloom.core.credentials.signing import embeds

if TYPE_CHECKING:
    from genloom.core.settings import Settings

VALID, TAMPERED, ABSENT = "valid", "tampered", "absent"
THIS_INSTALLATION, ANOTHER_GENLOOM, SOMEONE_ELSE = "this installation", "another Genloom", "someone else"

#: Failure codes that say who signed, not that the file changed.
_TRUST_CODES = ("signingCredential.untrusted",)
#: A manifest store larger than this is not read (a sidecar is read into memory).
MAX_SIDECAR_BYTES = 64 * 1024 * 1024


@dataclass
class Verification:
    """What a file's content credentials say, and whether they hold."""

    path: str
    status: str = ABSENT                 # valid | tampered | absent
    trusted: bool = False                # the signer chains to a root this installation trusts
    signer: str = ""                     # this installation | another Genloom | someone else
    signer_name: str = ""                # the certificate's common name and organisation
    claim_generator: str = ""            # the software that wrote the manifest
    sidecar: str = ""                    # the sidecar file the manifest came from, if any
    actions: list[dict[str, str]] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] | None = None
    ingredients: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    watermark: bool | None = None        # None: not looked for (not an image, or too small)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def summary(self) -> str:
        """One line: the verdict, who signed, with what."""
        if self.status == ABSENT:
            text = "no content credentials"
        elif self.status == TAMPERED:
            text = "TAMPERED: " + ("; ".join(self.problems[:3]) or "the credentials do not match the file")
        else:
            made = next((a.get("digitalSourceType", "").rsplit("/", 1)[-1] for a in self.actions
                         if a.get("digitalSourceType")), "")
            text = (f"valid, signed by {self.signer} ({self.signer_name})"
                    + ("" if self.trusted else ", untrusted signer")
                    + (f"; {made}" if made else "")
                    + (f"; model {self.model.get('name')}" if self.model.get("name") else ""))
        if self.watermark:
            text += "; Genloom watermark found"
        return text


def verify_file(path: Path, settings: Settings | None = None) -> Verification:
    """Check ``path``'s content credentials (and, for an image, the watermark)."""
    import c2pa

    from genloom.core.credentials import keys

    path = Path(path)
    result = Verification(path=str(path))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a file; give the files to verify")
    context = c2pa.Context.from_dict({
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "trust": {"user_anchors": keys.trust_anchors(settings)},
    })
    reader = None
    try:
        with open(path, "rb") as handle:
            try:
                if embeds(path.suffix):
                    reader = c2pa.Reader.try_create(mime_type(path.suffix), handle, None, context)
            except c2pa.C2paError as exc:
                result.status, result.problems = TAMPERED, [f"the embedded manifest cannot be read: {exc}"]
                return _with_watermark(result, path)
            if reader is None:
                sidecar = _sidecar(path)
                if sidecar is not None:
                    result.sidecar = str(sidecar)
                    handle.seek(0)
                    try:
                        reader = c2pa.Reader(mime_type(path.suffix), handle, sidecar.read_bytes(), context)
                    except c2pa.C2paError as exc:
                        result.status, result.problems = TAMPERED, [f"{sidecar.name} cannot be read: {exc}"]
                        return _with_watermark(result, path)
            if reader is None:
                return _with_watermark(result, path)
            _read(reader, result, keys.own_serials(settings))
    finally:
        if reader is not None:
            reader.close()
    return _with_watermark(result, path)


def _sidecar(path: Path) -> Path | None:
    for candidate in (path.with_name(path.name + ".c2pa"), path.with_suffix(".c2pa")):
        if candidate != path and candidate.is_file() and candidate.stat().st_size <= MAX_SIDECAR_BYTES:
            return candidate
    return None


def _read(reader: Any, result: Verification, own_serials: set[int]) -> None:
    store = json.loads(reader.json())
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "", {})
    validation = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = [f for f in validation.get("failure") or [] if f.get("code") not in _TRUST_CODES]
    state = str(store.get("validation_state") or "")
    result.trusted = state == "Trusted" or any(
        s.get("code") == "signingCredential.trusted" for s in validation.get("success") or [])
    result.status = TAMPERED if failures or (state == "Invalid" and not _only_trust(validation)) else VALID
    result.problems = [f"{f.get('code')}: {f.get('explanation', '')}" for f in failures]
    info = manifest.get("signature_info") or {}
    result.signer_name = ", ".join(str(info[k]) for k in ("common_name", "issuer") if info.get(k))
    generators = manifest.get("claim_generator_info") or []
    result.claim_generator = " ".join(str(g.get(k, "")) for g in generators[:1] for k in ("name", "version")).strip()
    try:
        serial = int(str(info.get("cert_serial_number", "")))
    except ValueError:
        serial = -1
    if result.trusted and serial in own_serials:
        result.signer = THIS_INSTALLATION
    elif info.get("issuer") == ORGANISATION:
        # A Genloom installation's certificate (organisation "Genloom"): a label, not proof;
        # the verdict says it is untrusted. The software that wrote the manifest is beside it.
        result.signer = ANOTHER_GENLOOM
    else:
        result.signer = SOMEONE_ELSE
    for assertion in manifest.get("assertions") or []:
        label, data = assertion.get("label", ""), assertion.get("data")
        if label.startswith("c2pa.actions") and isinstance(data, dict):
            for action in data.get("actions") or []:
                if not isinstance(action, dict):
                    continue
                agent = action.get("softwareAgent")
                agent_text = (f"{agent.get('name', '')} {agent.get('version', '')}".strip()
                              if isinstance(agent, dict) else str(agent or ""))
                result.actions.append({"action": str(action.get("action", "")),
                                       "digitalSourceType": str(action.get("digitalSourceType", "")),
                                       "softwareAgent": agent_text})
                model = (action.get("parameters") or {}).get(MODEL_KEY)
                if isinstance(model, dict) and not result.model:
                    result.model = {str(k): str(v) for k, v in model.items()}
        elif label == RECIPE_LABEL and isinstance(data, dict):
            result.recipe = data
    result.ingredients = [str(i.get("title", "")) for i in manifest.get("ingredients") or []]


def _only_trust(validation: dict[str, Any]) -> bool:
    return all(f.get("code") in _TRUST_CODES for f in validation.get("failure") or [])


def _with_watermark(result: Verification, path: Path) -> Verification:
    from genloom.core.credentials import watermark

    result.watermark = watermark.detect_file(path)
    return result
