"""The fingerprint that tells one literal secret from another across an UPDATE.

It must tell values apart, stay the same for the same value within a process,
and hold nothing a reader could use: not the value, not an unkeyed hash of it,
and not the same key in two processes.
"""

import hashlib
import os

from policies.base import PodSpec
from policies.no_plaintext_secrets import Settings, check, fingerprint

VALUE = "Tr0ub4dor-and-3"  # a made-up password


def test_the_same_value_has_the_same_fingerprint_and_another_value_another() -> None:
    assert fingerprint("DB_PASSWORD", VALUE) == fingerprint("DB_PASSWORD", VALUE)
    assert fingerprint("DB_PASSWORD", VALUE) != fingerprint("DB_PASSWORD", VALUE + "!")
    assert fingerprint("DB_PASSWORD", VALUE) != fingerprint("DB_PASSWORD2", VALUE)
    # the separator keeps name and value apart: ("AB", "C") is not ("A", "BC")
    assert fingerprint("AB", "C") != fingerprint("A", "BC")


def test_it_is_keyed_not_a_plain_hash_of_the_value() -> None:
    print_ = fingerprint("DB_PASSWORD", VALUE)
    assert VALUE.encode() not in print_
    for plain in (
        hashlib.blake2b(VALUE.encode(), digest_size=16).digest(),
        hashlib.blake2b(b"DB_PASSWORD\0" + VALUE.encode(), digest_size=16).digest(),
        hashlib.sha256(VALUE.encode()).digest()[:16],
    ):
        assert print_ != plain


def test_a_forked_process_has_its_own_key() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its fingerprint of the same value, then leave at once
        os.write(write, fingerprint("DB_PASSWORD", VALUE))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 16
    assert child != fingerprint("DB_PASSWORD", VALUE)


def test_violations_carry_it_but_never_show_it() -> None:
    pod = PodSpec(
        "spec", {"containers": [{"name": "app", "env": [{"name": "DB_PASSWORD", "value": VALUE}]}]}
    )
    (violation,) = check(pod, Settings())
    assert violation.fingerprint == fingerprint("DB_PASSWORD", VALUE)
    assert "fingerprint" not in repr(violation)
    assert violation.fingerprint.hex() not in repr(violation)
