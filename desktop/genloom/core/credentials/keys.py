"""The keys content credentials are signed with, and the roots Genloom trusts.

Each installation makes its own on first use, under ``data_dir()/credentials``:
a local root certificate (``root.pem``, its key ``root.key``) and an
end-entity certificate it issues (``signer.pem``, the chain signer + root, and
``signer.key``). C2PA refuses a lone self-signed certificate, so the chain has
two links. Private keys are written with mode 0600 (readable by the user
only). The root is this installation's own trust anchor: its signatures verify
as trusted here and as valid but untrusted anywhere else.

A user who has a certificate of their own (from a CA that verifiers trust)
sets ``credentials_certificate`` (a PEM chain, signer first) and
``credentials_private_key`` in the settings; it is used instead, and the last
certificate of its chain is trusted too.
"""

from __future__ import annotations

import datetime
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from genloom.core import paths
from genloom.sdk.errors import InputError

if TYPE_CHECKING:
    from genloom.core.settings import Settings

#: How long the local certificates are valid for.
VALIDITY_DAYS = 3650
#: The organisation name in Genloom's own certificates (verify tells Genloom signers by it).
ORGANISATION = "Genloom"


class CredentialsError(InputError):
    """A signing certificate or key that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class SigningIdentity:
    """What to sign with: the certificate chain (PEM, signer first), its key and algorithm."""

    chain_pem: str
    key_pem: str
    algorithm: str          # c2pa's name: es256, es384, es512, ps256, ed25519
    serial: int             # the signer certificate's serial number
    own: bool               # made by this installation (not a user's certificate)


def credentials_dir() -> Path:
    """Where this installation's certificates and keys live."""
    return paths.data_dir() / "credentials"


def signing_identity(settings: Settings | None = None) -> SigningIdentity:
    """The user's configured certificate, else this installation's (made on first use)."""
    if settings is not None and settings.credentials_certificate:
        return _user_identity(Path(settings.credentials_certificate).expanduser(),
                              Path(settings.credentials_private_key).expanduser()
                              if settings.credentials_private_key else None)
    return _installation_identity()


def trust_anchors(settings: Settings | None = None) -> str:
    """PEM of the roots this installation trusts: its own, and a configured chain's last link."""
    anchors = [_installation_files()[0].read_text(encoding="ascii")]
    if settings is not None and settings.credentials_certificate:
        chain = _split_pem(Path(settings.credentials_certificate).expanduser().read_text(encoding="ascii"))
        anchors.append(chain[-1])
    return "".join(anchors)


def own_serials(settings: Settings | None = None) -> set[int]:
    """Serial numbers of the signer certificates of this installation (its own and a configured one)."""
    serials = {_installation_identity().serial}
    if settings is not None and settings.credentials_certificate:
        serials.add(signing_identity(settings).serial)
    return serials


def _installation_files() -> tuple[Path, Path, Path, Path]:
    folder = credentials_dir()
    files = (folder / "root.pem", folder / "root.key", folder / "signer.pem", folder / "signer.key")
    if not all(f.is_file() for f in files):
        _create_installation_keys(folder)
    return files


def _installation_identity() -> SigningIdentity:
    from cryptography import x509

    _, _, chain_file, key_file = _installation_files()
    chain = chain_file.read_text(encoding="ascii")
    serial = x509.load_pem_x509_certificate(_split_pem(chain)[0].encode()).serial_number
    return SigningIdentity(chain, key_file.read_text(encoding="ascii"), "es256", serial, own=True)


def _create_installation_keys(folder: Path) -> None:
    """A root CA and a signer certificate it issues, written atomically, keys 0600."""
    import tempfile
    import time

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".credentials-", dir=folder.parent))  # mode 0700
    install = uuid.uuid4().hex[:12]
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                          x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"installation {install}")])

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=not sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=sign,
                             crl_sign=sign, encipher_only=False, decipher_only=False)

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name("Genloom local root")
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=VALIDITY_DAYS)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage(sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (x509.CertificateBuilder().subject_name(name("Genloom content credentials"))
              .issuer_name(root_name).public_key(signer_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(usage(sign=False), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                             critical=False)
              .sign(root_key, hashes.SHA256()))

    def pem(cert: x509.Certificate) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    def key(private: ec.EllipticCurvePrivateKey) -> bytes:
        return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())

    # The set is written in a folder of its own and renamed into place whole: two
    # processes making keys at once never mix halves of two sets (the first wins).
    _write(staging / "root.key", key(root_key), 0o600)
    _write(staging / "signer.key", key(signer_key), 0o600)
    _write(staging / "signer.pem", pem(signer) + pem(root), 0o644)
    _write(staging / "root.pem", pem(root), 0o644)
    if folder.exists() and not any(folder.iterdir()):
        folder.rmdir()
    elif folder.exists():  # an incomplete set (a file deleted by hand): kept aside, never deleted
        folder.rename(folder.with_name(f"credentials.incomplete-{time.strftime('%Y%m%d-%H%M%S')}"))
    try:
        os.rename(staging, folder)
    except OSError:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        if not (folder / "root.pem").is_file():
            raise


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _split_pem(text: str) -> list[str]:
    marker = "-----END CERTIFICATE-----"
    return [part.strip() + "\n" + marker + "\n" for part in text.split(marker)[:-1]]


def _user_identity(cert_path: Path, key_path: Path | None) -> SigningIdentity:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if key_path is None:
        raise CredentialsError("credentials_certificate is set but credentials_private_key is not; "
                               "set both in the settings, or neither to use Genloom's own")
    try:
        chain_text = cert_path.read_text(encoding="ascii")
        key_text = key_path.read_text(encoding="ascii")
        chain = _split_pem(chain_text)
        leaf = x509.load_pem_x509_certificate(chain[0].encode())
        private = serialization.load_pem_private_key(key_text.encode(), password=None)
    except (OSError, ValueError, IndexError, TypeError) as exc:
        raise CredentialsError(f"cannot use the certificate {cert_path} with the key {key_path}: {exc}; "
                               "give a PEM certificate chain (signer first) and its unencrypted PEM "
                               "private key") from None
    if len(chain) < 2:
        raise CredentialsError(f"{cert_path} holds one certificate; C2PA needs the chain (the signer "
                               "certificate, then the CA that issued it)")
    if isinstance(private, ec.EllipticCurvePrivateKey):
        algorithm = {256: "es256", 384: "es384", 521: "es512"}.get(private.curve.key_size, "")
    elif isinstance(private, ed25519.Ed25519PrivateKey):
        algorithm = "ed25519"
    elif isinstance(private, rsa.RSAPrivateKey):
        algorithm = "ps256"
    else:
        algorithm = ""
    if not algorithm:
        raise CredentialsError(f"{key_path}: a {type(private).__name__} key cannot sign content "
                               "credentials; use an EC (P-256/384/521), Ed25519 or RSA key")
    return SigningIdentity(chain_text, key_text, algorithm, leaf.serial_number, own=False)
