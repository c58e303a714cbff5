"""Certificates that load but have a part cryptography parses only when asked for, and then
refuses: what a hostile or broken Secret or caBundle can hold."""

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from webhook.managed_tls import certs

# A DER NULL where the extension's SEQUENCE should be.
_GARBAGE = b"\x05\x00garbage"
# id-ecPublicKey (1.2.840.10045.2.1) and an OID no library knows (1.2.840.10045.2.9).
_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")
_UNKNOWN_KEY = bytes.fromhex("2a8648ce3d0209")


def broken_extension(
    oid: x509.ObjectIdentifier,
    signer: ec.EllipticCurvePrivateKey,
    now: datetime,
    key: ec.EllipticCurvePrivateKey | None = None,
    issuer: x509.Name | None = None,
) -> x509.Certificate:
    """A certificate for ``key`` (default: ``signer``'s) whose extension ``oid`` cannot be parsed."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "broken")])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key((key or signer).public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.UnrecognizedExtension(oid, _GARBAGE), critical=False)
        .sign(signer, hashes.SHA256())
    )


def broken_basic_constraints(now: datetime) -> tuple[x509.Certificate, bytes]:
    """A self-signed "CA" whose BasicConstraints cannot be read, and its key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return broken_extension(ExtensionOID.BASIC_CONSTRAINTS, key, now), key_pem


def unknown_key_algorithm(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` with its public key's algorithm renamed to one nobody implements."""
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(_EC_PUBLIC_KEY) == 1
    return x509.load_der_x509_certificate(der.replace(_EC_PUBLIC_KEY, _UNKNOWN_KEY))


def pem(*found: x509.Certificate) -> bytes:
    return certs.bundle_pem(found)
