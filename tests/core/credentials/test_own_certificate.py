"""A user's own certificate signs instead of the installation's; a stranger's signature is 'someone else'."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from genloom.core.credentials.keys import CredentialsError, signing_identity
from genloom.core.credentials.verify import SOMEONE_ELSE, THIS_INSTALLATION, VALID, verify_file
from genloom.core.exporting import export_asset
from genloom.core.settings import Settings, SettingsError

from .conftest import add_image


def acme_certificate(folder: Path) -> tuple[Path, Path]:
    """A CA and a signing certificate of a company that is not Genloom (PEM chain, key)."""
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Studio")])

    def usage(ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                             encipher_only=False, decipher_only=False)

    ca_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())
    ca = (x509.CertificateBuilder().subject_name(name("Acme root")).issuer_name(name("Acme root"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA384()))
    leaf = (x509.CertificateBuilder().subject_name(name("Acme Studio signing")).issuer_name(name("Acme root"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA384()))
    chain, key_file = folder / "acme-chain.pem", folder / "acme.key"
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return chain, key_file


def test_a_configured_certificate_signs_and_is_trusted_here(project, tmp_path):
    chain, key = acme_certificate(tmp_path)
    settings = Settings(credentials_certificate=str(chain), credentials_private_key=str(key))
    assert signing_identity(settings).algorithm == "es384"
    out = export_asset(project, add_image(project, size=64), tmp_path / "acme.png", settings)
    mine = verify_file(out, settings)
    assert (mine.status, mine.trusted, mine.signer) == (VALID, True, THIS_INSTALLATION)
    assert "Acme Studio signing" in mine.signer_name


def test_without_that_setting_the_same_file_is_someone_elses_and_untrusted(project, tmp_path):
    chain, key = acme_certificate(tmp_path)
    settings = Settings(credentials_certificate=str(chain), credentials_private_key=str(key))
    out = export_asset(project, add_image(project, size=64), tmp_path / "acme.png", settings)
    theirs = verify_file(out)
    assert (theirs.status, theirs.trusted, theirs.signer) == (VALID, False, SOMEONE_ELSE)


def test_a_certificate_without_its_chain_or_key_is_refused_with_the_fix(tmp_path):
    chain, key = acme_certificate(tmp_path)
    lone = tmp_path / "lone.pem"
    lone.write_text(chain.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
    with pytest.raises(CredentialsError, match="needs the chain"):
        signing_identity(Settings(credentials_certificate=str(lone), credentials_private_key=str(key)))
    with pytest.raises(SettingsError, match="go together"):
        Settings(credentials_certificate=str(chain)).validate()
    with pytest.raises(CredentialsError, match="cannot use the certificate"):
        signing_identity(Settings(credentials_certificate=str(chain), credentials_private_key=str(chain)))
