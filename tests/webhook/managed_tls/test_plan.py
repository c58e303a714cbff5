"""What the shared Secret should hold, decided from what it holds, the time and the names."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from tests.webhook.managed_tls import hostile
from webhook.managed_tls import certs
from webhook.managed_tls.certs import Pair
from webhook.managed_tls.cluster import StoredSecret
from webhook.managed_tls.plan import Lifetimes, TlsState, decode, encode, plan, serving_problem

NAMES = ("gatehouse", "gatehouse.gatehouse", "gatehouse.gatehouse.svc")
START = datetime(2030, 1, 1, tzinfo=UTC)
LIFETIMES = Lifetimes(ca=timedelta(days=90), serving=timedelta(days=30), overlap=timedelta(days=1))


def fresh(now: datetime = START, ca_bundle: tuple[x509.Certificate, ...] = ()) -> TlsState:
    made = plan(None, ca_bundle, NAMES, now, LIFETIMES)
    assert made.changes == ("a new CA and serving certificate",)
    return made.state


def fingerprints(found: tuple[x509.Certificate, ...]) -> list[str]:
    return [certs.fingerprint(c) for c in found]


def test_a_new_secret_holds_a_ca_and_a_serving_certificate_for_the_names() -> None:
    state = fresh()
    (ca,) = state.bundle
    assert certs.is_ca(ca) and certs.key_matches(ca, state.ca_key_pem)
    serving = state.serving.cert
    assert not certs.is_ca(serving)
    assert certs.signed_by(serving, ca)
    assert certs.dns_names(serving) == list(NAMES)
    assert serving.not_valid_after_utc == START + LIFETIMES.serving
    assert ca.not_valid_after_utc == START + LIFETIMES.ca
    assert state.published_at == START
    assert serving_problem(state.serving, ca, NAMES, START) == ""


def test_keys_are_ecdsa_p256() -> None:
    state = fresh()
    key = certs.load_key(state.serving.key_pem)
    assert key.curve.name == "secp256r1"
    assert certs.load_key(state.ca_key_pem).curve.name == "secp256r1"


def test_no_private_key_shows_in_a_printout_of_what_holds_it() -> None:
    state = fresh()
    data, annotations = encode(state)
    stored = StoredSecret(data, annotations, "1")
    printed = " ".join(repr(x) for x in (state, state.serving, state.signer, stored))
    for key_pem in (state.ca_key_pem, state.serving.key_pem):
        body = b"".join(key_pem.splitlines()[1:-1]).decode()
        assert body[:40] not in printed
    for name in ("ca.key", "tls.key"):
        assert stored.data[name][:40] not in printed


def test_nothing_to_do_while_everything_is_fresh() -> None:
    state = fresh()
    for later in (timedelta(0), timedelta(days=19)):
        again = plan(state, state.bundle, NAMES, START + later, LIFETIMES)
        assert again.changes == () and again.state is state


def test_the_serving_certificate_is_renewed_after_two_thirds_of_its_life() -> None:
    state = fresh()
    later = START + timedelta(days=20, seconds=1)
    renewed = plan(state, state.bundle, NAMES, later, LIFETIMES)
    assert renewed.changes == ("serving certificate re-issued: two thirds of its lifetime passed",)
    assert renewed.state.bundle == state.bundle  # same CA: trusted as it is
    assert certs.signed_by(renewed.state.serving.cert, state.bundle[0])
    assert renewed.state.serving.cert.not_valid_after_utc == later + LIFETIMES.serving


def test_a_serving_certificate_never_outlives_its_ca() -> None:
    state = fresh()
    late = START + timedelta(days=75)  # the CA renews at day 60: force the old one
    serving = certs.new_serving(state.signer, NAMES, late, LIFETIMES.serving)
    assert serving.cert.not_valid_after_utc == state.bundle[0].not_valid_after_utc


def test_the_ca_is_renewed_with_an_overlap_then_the_old_one_leaves() -> None:
    state = fresh()
    renewal = START + timedelta(days=61)
    renewed = plan(state, state.bundle, NAMES, renewal, LIFETIMES)
    assert renewed.changes == (
        "CA renewed, the old one kept in the bundle for the overlap",
        "serving certificate re-issued: not signed by the current CA",
    )
    new_ca, old_ca = renewed.state.bundle
    assert certs.fingerprint(old_ca) == certs.fingerprint(state.bundle[0])
    assert certs.signed_by(renewed.state.serving.cert, new_ca)
    assert renewed.state.published_at == renewal

    during = plan(
        renewed.state, renewed.state.bundle, NAMES, renewal + timedelta(hours=23), LIFETIMES
    )
    assert during.changes == ()
    after = plan(renewed.state, renewed.state.bundle, NAMES, renewal + timedelta(days=1), LIFETIMES)
    assert after.changes == ("replaced CAs left the bundle after the overlap",)
    assert fingerprints(after.state.bundle) == [certs.fingerprint(new_ca)]
    assert after.state.serving == renewed.state.serving


def test_new_names_get_a_new_serving_certificate_from_the_same_ca() -> None:
    state = fresh()
    names = (*NAMES, "gatehouse.gatehouse.svc.cluster.example")
    changed = plan(state, state.bundle, names, START, LIFETIMES)
    assert changed.changes == ("serving certificate re-issued: the Service's DNS names changed",)
    assert changed.state.bundle == state.bundle
    assert certs.dns_names(changed.state.serving.cert) == list(names)


def test_a_new_secret_keeps_the_cas_the_ca_bundle_already_trusts() -> None:
    """Switching from tls.mode=chart, or after the Secret was deleted: the pods still
    serving the old certificate stay trusted through the overlap."""
    before = fresh()
    stranger_leaf = before.serving.cert  # not a CA: never kept
    expired = fresh(START - timedelta(days=200)).bundle[0]
    state = fresh(START, (*before.bundle, stranger_leaf, expired, *before.bundle))
    new_ca, kept = state.bundle
    assert certs.fingerprint(kept) == certs.fingerprint(before.bundle[0])
    assert certs.signed_by(state.serving.cert, new_ca)
    gone = plan(state, state.bundle, NAMES, START + LIFETIMES.overlap, LIFETIMES)
    assert fingerprints(gone.state.bundle) == [certs.fingerprint(new_ca)]


def test_unreadable_certificates_in_the_ca_bundle_are_not_kept() -> None:
    """A caBundle that holds a certificate with a broken extension or a key nobody can
    read must not keep the first Secret from being made."""
    broken, _ = hostile.broken_basic_constraints(START)
    usable = fresh().bundle[0]
    unknown_key = hostile.unknown_key_algorithm(usable)
    state = fresh(START, (broken, unknown_key, usable))
    assert fingerprints(state.bundle[1:]) == [certs.fingerprint(usable)]
    assert not certs.signed_by(state.serving.cert, unknown_key)


def test_an_expired_ca_leaves_the_bundle_at_once() -> None:
    state = fresh()
    short = Lifetimes(ca=timedelta(days=2), serving=timedelta(days=1), overlap=timedelta(days=30))
    old = plan(None, (), NAMES, START - timedelta(days=1), short).state.bundle[0]
    kept = TlsState((state.bundle[0], old), state.ca_key_pem, state.serving, START)
    assert plan(kept, (), NAMES, START + timedelta(hours=23), LIFETIMES).changes == ()
    dropped = plan(kept, (), NAMES, START + timedelta(days=1), LIFETIMES)
    assert dropped.changes == ("expired CA left the bundle",)
    assert fingerprints(dropped.state.bundle) == fingerprints(state.bundle)


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (lambda s: Pair(b"junk", s.serving.key_pem), "unreadable"),
        (lambda s: Pair(s.serving.cert_pem, fresh().serving.key_pem), "its key does not match"),
        (lambda s: fresh().serving, "not signed by the current CA"),
        # Parts that load only when asked for, and then fail: a reason to replace the
        # pair, never an exception that fails every round and leaves the Secret as it is.
        (
            lambda s: Pair(
                hostile.pem(hostile.unknown_key_algorithm(s.serving.cert)), s.serving.key_pem
            ),
            "its key does not match",
        ),
        (
            lambda s: Pair(
                hostile.pem(
                    hostile.broken_extension(
                        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
                        certs.load_key(s.ca_key_pem),
                        START,
                        key=certs.load_key(s.serving.key_pem),
                        issuer=s.bundle[0].subject,
                    )
                ),
                s.serving.key_pem,
            ),
            "the Service's DNS names changed",
        ),
    ],
)
def test_a_broken_serving_pair_is_replaced(broken, problem) -> None:  # type: ignore[no-untyped-def]
    state = fresh()
    damaged = TlsState(state.bundle, state.ca_key_pem, broken(state), state.published_at)
    fixed = plan(damaged, state.bundle, NAMES, START, LIFETIMES)
    assert fixed.changes == (f"serving certificate re-issued: {problem}",)
    assert serving_problem(fixed.state.serving, state.bundle[0], NAMES, START) == ""


def test_encode_and_decode_round_trip() -> None:
    state = fresh()
    data, annotations = encode(state)
    assert set(data) == {"ca.crt", "ca.key", "tls.crt", "tls.key"}
    assert annotations == {"gatehouse.io/ca-published-at": "2030-01-01T00:00:00Z"}
    assert decode(data, annotations) == state


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d, a: d.pop("ca.key"),
        lambda d, a: d.update({"ca.crt": "bm90IHBlbQ=="}),
        lambda d, a: d.update({"ca.crt": "not base64!"}),
        lambda d, a: d.update({"ca.key": encode(fresh())[0]["ca.key"]}),  # another CA's key
        lambda d, a: a.clear(),
        lambda d, a: a.update({"gatehouse.io/ca-published-at": "yesterday"}),
    ],
)
def test_a_secret_that_cannot_be_used_decodes_to_none(spoil) -> None:  # type: ignore[no-untyped-def]
    data, annotations = encode(fresh())
    spoil(data, annotations)
    assert decode(data, annotations) is None


def test_a_secret_whose_ca_cannot_be_read_decodes_to_none() -> None:
    data, annotations = encode(fresh())
    ca, key_pem = hostile.broken_basic_constraints(START)
    data["ca.crt"] = base64.b64encode(hostile.pem(ca)).decode()
    data["ca.key"] = base64.b64encode(key_pem).decode()
    assert decode(data, annotations) is None
