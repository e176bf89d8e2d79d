"""A self-signed certificate for the simulator's HTTPS listener, made with the standard library only.

The official scripts hard-code ``https`` for the Properties API, so the LifeTime simulator must
speak TLS. Python's ``ssl`` module can serve a certificate but not make one, the ``openssl`` CLI is
not on every machine (nor in slim container images), and ``cryptography`` would be a runtime
dependency for a rehearsal feature. A loopback certificate needs little: an RSA key, one X.509 v3
certificate for ``127.0.0.1``/``localhost`` signed with itself (SHA-256, PKCS#1 v1.5). That is a
few dozen lines of DER and modular arithmetic, written here once; :func:`ssl.SSLContext` checks
the result when it loads it, and clients trust it through a CA bundle (``REQUESTS_CA_BUNDLE``).

The key is for a throw-away loopback listener, not for anything that protects data.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]
PUBLIC_EXPONENT = 65537


def _probable_prime(n: int, rounds: int = 40) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if (candidate - 1) % PUBLIC_EXPONENT and _probable_prime(candidate):
            return candidate


# --------------------------------------------------------------------------- DER


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def _int(n: int) -> bytes:
    raw = n.to_bytes(n.bit_length() // 8 + 1, "big")  # a leading zero keeps it positive
    return _tlv(0x02, raw)


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _oid(dotted: str) -> bytes:
    numbers = [int(n) for n in dotted.split(".")]
    body = bytes([40 * numbers[0] + numbers[1]])
    for n in numbers[2:]:
        chunk = [n & 0x7F]
        while n := n >> 7:
            chunk.insert(0, 0x80 | (n & 0x7F))
        body += bytes(chunk)
    return _tlv(0x06, body)


def _utf8(text: str) -> bytes:
    return _tlv(0x0C, text.encode())


def _time(moment: datetime) -> bytes:
    return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())  # UTCTime, valid until 2049


def _bits(content: bytes) -> bytes:
    return _tlv(0x03, b"\x00" + content)


def _octets(content: bytes) -> bytes:
    return _tlv(0x04, content)


def _explicit(number: int, content: bytes) -> bytes:
    return _tlv(0xA0 | number, content)


def _extension(oid: str, value: bytes, *, critical: bool = False) -> bytes:
    flag = _tlv(0x01, b"\xff") if critical else b""
    return _seq(_oid(oid), flag, _octets(value))


SHA256_WITH_RSA = _seq(_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
RSA_ENCRYPTION = _seq(_oid("1.2.840.113549.1.1.1"), b"\x05\x00")
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True)
class SelfSigned:
    """PEM text of a certificate and its private key (PKCS#1 ``RSA PRIVATE KEY``)."""

    certificate_pem: str
    key_pem: str

    def write(self, directory: Path) -> tuple[Path, Path]:
        """``(cert.pem, key.pem)`` in ``directory`` (the key readable by the owner only)."""
        cert, key = directory / "simulator-cert.pem", directory / "simulator-key.pem"
        cert.write_text(self.certificate_pem, encoding="ascii")
        key.touch(mode=0o600)
        key.write_text(self.key_pem, encoding="ascii")
        return cert, key


def _pem(label: str, der: bytes) -> str:
    text = base64.encodebytes(der).decode().replace("\n", "")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def self_signed(
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    *,
    bits: int = 2048,
    valid_days: int = 30,
    now: datetime | None = None,
) -> SelfSigned:
    """A fresh key and a certificate valid for ``hosts`` (IP addresses and DNS names)."""
    e = PUBLIC_EXPONENT
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        n = p * q
        if p != q and n.bit_length() == bits:
            break
    d = pow(e, -1, (p - 1) * (q - 1))
    public_key = _seq(RSA_ENCRYPTION, _bits(_seq(_int(n), _int(e))))
    name = _seq(_tlv(0x31, _seq(_oid("2.5.4.3"), _utf8("odc-pipeline LifeTime simulator"))))
    start = (now or datetime.now(UTC)) - timedelta(minutes=5)
    key_id = hashlib.sha1(_seq(_int(n), _int(e))).digest()
    names = b""
    for host in hosts:
        try:
            names += _tlv(0x87, ipaddress.ip_address(host).packed)
        except ValueError:
            names += _tlv(0x82, host.encode())
    extensions = _seq(
        _extension("2.5.29.19", _seq(), critical=True),  # basicConstraints: not a CA
        _extension("2.5.29.15", _bits(b"\xa0"), critical=True),  # digitalSignature, keyEncipherment
        _extension("2.5.29.37", _seq(_oid("1.3.6.1.5.5.7.3.1"))),  # extKeyUsage: serverAuth
        _extension("2.5.29.17", _seq(names)),  # subjectAltName
        _extension("2.5.29.14", _octets(key_id)),  # subjectKeyIdentifier
        _extension("2.5.29.35", _seq(_tlv(0x80, key_id))),  # authorityKeyIdentifier
    )
    tbs = _seq(
        _explicit(0, _int(2)),
        _int(secrets.randbits(120) | 1),
        SHA256_WITH_RSA,
        name,
        _seq(_time(start), _time(start + timedelta(days=valid_days))),
        name,
        public_key,
        _explicit(3, extensions),
    )
    digest = SHA256_DIGEST_INFO + hashlib.sha256(tbs).digest()
    size = (n.bit_length() + 7) // 8
    padded = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    signature = pow(int.from_bytes(padded, "big"), d, n).to_bytes(size, "big")
    certificate = _seq(tbs, SHA256_WITH_RSA, _bits(signature))
    private_key = _seq(
        _int(0),
        _int(n),
        _int(e),
        _int(d),
        _int(p),
        _int(q),
        _int(d % (p - 1)),
        _int(d % (q - 1)),
        _int(pow(q, -1, p)),
    )
    return SelfSigned(_pem("CERTIFICATE", certificate), _pem("RSA PRIVATE KEY", private_key))
