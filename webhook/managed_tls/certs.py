"""Certificates for tls.mode=managed: a CA, serving certificates it signs, and reading them back.

ECDSA P-256 keys, signed with SHA-256: a key is made in well under a millisecond
(RSA-2048: 50-80 ms, in the gunicorn master), and a TLS handshake costs the
server less than half the CPU of an RSA-2048 one (docs/decisions/0004-managed-tls.md).
Nothing here logs, and no error message carries key material. The predicates below
read certificates from the Secret and the caBundle, which anyone with write access
can fill with anything: a part they cannot parse (an extension, a key of an unknown
algorithm) makes them answer "no", never raise, so the plan replaces it.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Certificates start this long before they are made: a node whose clock is a little
# behind the API server's must not see a certificate that is not valid yet.
BACKDATE = timedelta(hours=1)


class CertificateError(ValueError):
    """PEM that is not what it should be; the message never quotes it."""


@dataclass(frozen=True)
class Pair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes = field(repr=False)  # a traceback or a debug print must not show it

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def new_ca(common_name: str, now: datetime, lifetime: timedelta) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        _builder(name, name, key.public_key(), now, now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return Pair(_cert_pem(cert), _key_pem(key))


def _key_usage(signs_certificates: bool) -> x509.KeyUsage:
    """Signatures (ECDSA has no encipherment), and for a CA certificates and CRLs too."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def new_serving(ca: Pair, dns_names: Sequence[str], now: datetime, lifetime: timedelta) -> Pair:
    """A serving certificate for ``dns_names`` signed by ``ca``; it never outlives the CA."""
    ca_cert = ca.cert
    ca_key = load_key(ca.key_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + lifetime, ca_cert.not_valid_after_utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0])])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), now, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Pair(_cert_pem(cert), _key_pem(key))


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise CertificateError("not a PEM private key without a password") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateError("not an ECDSA private key")
    return key


def load_certs(pem: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle; none is an error."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise CertificateError("not a PEM certificate bundle") from None
    return certs


def bundle_pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(_cert_pem(c) for c in certs)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, hex: what logs and /readyz name a certificate by."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


# What cryptography raises for a certificate part it parses only when asked for: a
# malformed extension (ValueError) or a key or signature of an algorithm it lacks.
_UNREADABLE = (ValueError, TypeError, UnsupportedAlgorithm)


def is_ca(cert: x509.Certificate) -> bool:
    """A CA certificate, and one whose key can verify what it signed."""
    try:
        cert.public_key()
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, *_UNREADABLE):
        return False


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, *_UNREADABLE):
        return False
    return True


def key_matches(cert: x509.Certificate, key_pem: bytes) -> bool:
    try:
        key = load_key(key_pem)
        return cert.public_key() == key.public_key()
    except (CertificateError, *_UNREADABLE):
        return False


def dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, *_UNREADABLE):
        return []
    return list(san.get_values_for_type(x509.DNSName))


def valid_at(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now < cert.not_valid_after_utc


def renewal_due(cert: x509.Certificate, now: datetime) -> bool:
    """Past two thirds of its lifetime, as cert-manager renews by default: a third of the
    lifetime is left to notice and fix whatever keeps the renewal from happening."""
    start, end = cert.not_valid_before_utc + BACKDATE, cert.not_valid_after_utc
    return now >= start + (end - start) * 2 / 3
