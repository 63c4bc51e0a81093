"""CURVE certificate files, in the text format CZMQ and pyzmq use.

A certificate is a ZPL file (ZeroMQ Property Language: ``#`` comments,
sections by name, 4-space indented ``name = "value"`` lines). The public
certificate ``NAME.key`` holds the public key; the secret one
``NAME.key_secret`` holds both keys. Both have a ``metadata`` section and a
``curve`` section::

    metadata
        name = "server"
    curve
        public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

Files written here load with pyzmq's ``zmq.auth.load_certificate`` and the
other way round.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from aiomsg._security.keys import curve_keypair

__all__ = ["create_certificates", "load_certificate", "load_certificates"]

_PUBLIC_HEADER = """\
#   Written by aiomsg on {when}
#   ZeroMQ CURVE public certificate: give it to the peers that must trust
#   this key, over a channel that preserves its integrity.

"""
_SECRET_HEADER = """\
#   Written by aiomsg on {when}
#   ZeroMQ CURVE **secret** certificate: keep it private; never send it
#   to anyone or make it readable by other users.

"""


def _quote(value: str) -> str:
    if '"' in value or "\n" in value:
        raise ValueError(f"certificate values cannot contain quotes or newlines: {value!r}")
    return f'"{value}"'


def _write(
    path: Path,
    header: str,
    public_key: str,
    secret_key: str | None,
    metadata: dict[str, str] | None,
) -> None:
    lines = [header.format(when=datetime.datetime.now().isoformat(timespec="seconds"))]
    lines.append("metadata\n")
    for name, value in (metadata or {}).items():
        lines.append(f"    {name} = {_quote(str(value))}\n")
    lines.append("curve\n")
    lines.append(f"    public-key = {_quote(public_key)}\n")
    if secret_key is not None:
        lines.append(f"    secret-key = {_quote(secret_key)}\n")
    # The secret file is made private (0600) before any key is written,
    # whether it is new or an old file being overwritten.
    mode = 0o600 if secret_key is not None else 0o644
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)
    with open(fd, "w", encoding="utf-8") as file:
        file.writelines(lines)


def create_certificates(
    key_dir: str | os.PathLike[str], name: str, metadata: dict[str, str] | None = None
) -> tuple[str, str]:
    """Make a new key pair and write ``name.key`` and ``name.key_secret`` in *key_dir*.

    *metadata* is written into the secret certificate's metadata section.
    Returns the paths of the public and secret certificates.

    Raises:
        NotSupported: PyNaCl is not installed.
    """
    public_key, secret_key = curve_keypair()
    base = Path(key_dir) / name
    public_file = base.with_name(base.name + ".key")
    secret_file = base.with_name(base.name + ".key_secret")
    _write(public_file, _PUBLIC_HEADER, public_key.decode(), None, None)
    _write(secret_file, _SECRET_HEADER, public_key.decode(), secret_key.decode(), metadata)
    return str(public_file), str(secret_file)


def load_certificate(filename: str | os.PathLike[str]) -> tuple[bytes, bytes | None]:
    """``(public_key, secret_key)`` as Z85 bytes from a certificate file; the
    secret is None in a public certificate.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file holds no public key.
    """
    public_key: bytes | None = None
    secret_key: bytes | None = None
    section = ""
    for raw in Path(filename).read_bytes().splitlines():
        line = raw.split(b"#", 1)[0] if raw.lstrip().startswith(b"#") else raw
        if not line.strip():
            continue
        if not line[:1].isspace():
            section = line.strip().decode("utf-8", "replace")
            continue
        name, equals, value = line.strip().partition(b"=")
        if not equals:
            continue
        name, value = name.strip(), value.strip().strip(b"\"'")
        if name == b"public-key" and section in ("curve", ""):
            public_key = value
        elif name == b"secret-key" and section in ("curve", ""):
            secret_key = value
    if public_key is None:
        raise ValueError(f"no public key in {os.fspath(filename)!r}")
    return public_key, secret_key


def load_certificates(directory: str | os.PathLike[str] = ".") -> dict[bytes, bool]:
    """The public keys (Z85 bytes) of every ``*.key`` certificate in *directory*,
    as keys of a dict (pyzmq's shape).

    Raises:
        OSError: *directory* is not a readable directory.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise NotADirectoryError(f"not a certificate directory: {os.fspath(directory)!r}")
    keys: dict[bytes, bool] = {}
    for path in sorted(folder.glob("*.key")):
        public_key, _ = load_certificate(path)
        keys[public_key] = True
    return keys
