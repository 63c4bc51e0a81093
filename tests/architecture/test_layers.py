"""The shape of the package: layers that depend one way, privacy, exports, composition.

These tests read the source (``ast``); they fail on the first change that
breaks a rule of docs/internals.md, naming the file and line.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

import aiomsg

PACKAGE = pathlib.Path(aiomsg.__file__).parent

#: The layers, bottom first (docs/internals.md). A module may import its own
#: layer and those below it, never one above (type-only imports included).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("aiomsg.errors", "aiomsg.constants", "aiomsg._closing",
                    "aiomsg._monitor", "aiomsg._endpoint", "aiomsg._replacements",
                    "aiomsg._fillable")),
    ("codec", ("aiomsg._zmtp", "aiomsg._pgm")),
    ("security and options", ("aiomsg._security", "aiomsg.options")),
    ("transports", ("aiomsg.transports",)),
    ("pool", ("aiomsg._pool",)),
    ("socket", ("aiomsg._socket", "aiomsg.serialization")),
    ("socket types", ("aiomsg._sockets", "aiomsg._context")),
    ("applications", ("aiomsg._service", "aiomsg._proxy", "aiomsg._poller", "aiomsg._runner",
                      "aiomsg._cli", "aiomsg.testing", "aiomsg.web", "aiomsg.__main__", "aiomsg")),
]  # fmt: skip


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def rank(module: str) -> int:
    """The layer of *module*: the longest prefix listed in LAYERS wins."""
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS and docs/internals.md"
    return best


def imports(module: str) -> Iterator[tuple[str, int, bool]]:
    """``(imported aiomsg module, line, at module level)`` for every import in *module*."""
    tree = ast.parse(MODULES[module].read_text())
    top_level = {id(node) for node in ast.walk(tree) if _is_module_level(tree, node)}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name, node.lineno, id(node) in top_level


def _is_module_level(tree: ast.Module, node: ast.AST) -> bool:
    """Imports at module level, including under ``if TYPE_CHECKING:``."""
    for statement in tree.body:
        if statement is node:
            return True
        if isinstance(statement, ast.If) and node in statement.body:
            return True
    return False


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        rank(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_never_run_up_the_layers(module: str) -> None:
    for imported, line, _ in imports(module):
        assert rank(imported) <= rank(module), (
            f"{MODULES[module].name}:{line}: {module} ({LAYERS[rank(module)][0]}) imports "
            f"{imported} ({LAYERS[rank(imported)][0]}), a higher layer"
        )


def test_no_import_cycles() -> None:
    graph = {module: {name for name, _, _ in imports(module)} for module in MODULES}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " -> ".join(
            [*visiting[visiting.index(module) :], module]
        )
        visiting.append(module)
        for imported in graph[module]:
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_lazy_imports_of_aiomsg(module: str) -> None:
    """A function-level import of aiomsg hides a cycle; the layers make none needed."""
    if module == "aiomsg":
        pytest.skip("the package docstring's example imports aiomsg")
    for imported, line, top_level in imports(module):
        assert top_level, f"{MODULES[module].name}:{line}: lazy import of {imported}"


def _private_names_defined(tree: ast.Module) -> set[str]:
    """Private names a module defines: its functions, classes, attributes, slots."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_touches_another_modules_private_members(module: str) -> None:
    """``obj._name`` is allowed only on ``self``/``cls`` or for names the module
    defines itself: no transport, pipe or peer reaches into Socket or Context."""
    tree = ast.parse(MODULES[module].read_text())
    own = _private_names_defined(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        assert name in own, (
            f"{MODULES[module].name}:{node.lineno}: {ast.unparse(node)} uses a private "
            "member defined in another module"
        )


def test_private_modules_are_marked() -> None:
    """Public modules are exactly these; every other module's name starts with ``_``."""
    public = {
        "aiomsg",
        "aiomsg.constants",
        "aiomsg.errors",
        "aiomsg.options",
        "aiomsg.serialization",
        "aiomsg.testing",
        "aiomsg.transports",
        "aiomsg.transports.interface",
        "aiomsg.web",
    }
    for module in MODULES:
        marked = any(part.startswith("_") for part in module.split(".")[1:])
        assert (module in public) != marked, f"{module}: public and marked private, or neither"


PUBLIC_NAMES = [
    "CHANNEL", "CLIENT", "DGRAM", "DISH", "GATHER", "PEER", "RADIO", "SCATTER", "SERVER",
    "InvalidMessage",
    "NOTIFY_CONNECT", "NOTIFY_DISCONNECT",
    "CURVE_ALLOW_ANY", "DEALER", "DONTWAIT", "NOBLOCK", "PAIR", "PUB", "PULL", "PUSH", "REP",
    "REQ", "ROUTER", "SNDMORE", "SUB", "XPUB", "XSUB", "AddressInUse", "Again", "AiomsgError",
    "AuthRequest", "Authenticator", "Closed", "Context", "DecodeError", "EndpointError", "Event",
    "HostUnreachable", "InvalidOption", "InvalidState", "Monitor", "MonitorEvent",
    "NotSupported", "PeerStats", "RemoteError", "RequestClient", "RequestServer", "Socket", "SocketStats", "SocketType",
    "ZapReply", "__version__", "create_certificates", "curve_keypair", "curve_public",
    "has_curve", "load_certificate", "load_certificates", "proxy", "register_transport", "run",
    "z85_decode", "z85_encode",
    # The pyzmq porting surface: option numbers, poll events, mechanisms, errno values.
    "Errno", "PollEvent", "Poller", "SecurityMechanism", "SocketOption",
    "HWM", "IDENTITY", "ROUTING_ID", "SUBSCRIBE", "UNSUBSCRIBE", "RCVMORE", "EVENTS", "TYPE",
    "LINGER", "RECONNECT_IVL", "RECONNECT_IVL_MAX", "MAXMSGSIZE", "SNDHWM", "RCVHWM",
    "LAST_ENDPOINT", "ROUTER_MANDATORY", "IMMEDIATE", "MECHANISM", "PLAIN_SERVER",
    "PLAIN_USERNAME", "PLAIN_PASSWORD", "CURVE_SERVER", "CURVE_PUBLICKEY", "CURVE_SECRETKEY",
    "CURVE_SERVERKEY", "ZAP_DOMAIN", "HANDSHAKE_IVL", "HEARTBEAT_IVL", "HEARTBEAT_TTL",
    "HEARTBEAT_TIMEOUT", "POLLIN", "POLLOUT", "POLLERR", "NULL", "PLAIN", "CURVE", "EAGAIN",
    "EINVAL", "ENOTSUP", "EPROTONOSUPPORT", "EADDRINUSE", "ENOTSOCK", "EHOSTUNREACH", "EFSM",
    "ETERM",
    "PROBE_ROUTER", "REQ_CORRELATE", "REQ_RELAXED", "CONFLATE", "ROUTER_HANDOVER", "CONNECT_ROUTING_ID",
    "XPUB_NODROP", "XPUB_MANUAL", "XPUB_WELCOME_MSG", "INVERT_MATCHING", "XPUB_VERBOSER", "XPUB_VERBOSE", "ROUTER_NOTIFY", "ONLY_FIRST_SUBSCRIBE",
    # issue 12 part B
    "SNDBUF", "RCVBUF", "BACKLOG", "RCVTIMEO", "SNDTIMEO", "TCP_KEEPALIVE", "TCP_KEEPALIVE_CNT",
    "TCP_KEEPALIVE_IDLE", "TCP_KEEPALIVE_INTVL", "TOS", "STREAM_NOTIFY", "CONNECT_TIMEOUT",
    "TCP_MAXRT", "USE_FD", "ZAP_ENFORCE_DOMAIN", "RECONNECT_STOP",
    "STREAM", "Proxy", "ProxyStatistics", "ZmqEvent", "RECONNECT_STOP_AFTER_DISCONNECT",
    "RECONNECT_STOP_CONN_REFUSED", "RECONNECT_STOP_HANDSHAKE_FAILED",
    # issue 9
    "ENOCOMPATPROTO", "RATE", "RECOVERY_IVL", "MULTICAST_HOPS", "MULTICAST_MAXTPDU", "MULTICAST_LOOP",
]  # fmt: skip

TRANSPORT_NAMES = [
    "Binding", "Connector", "Delivered", "Endpoint", "Engine", "Event", "Link", "Message",
    "PipeEnd", "Transport", "get_transport", "register_transport",
]  # fmt: skip


def test_public_exports_are_pinned() -> None:
    """A change to the public API is a deliberate change to this list too."""
    assert sorted(aiomsg.__all__) == sorted(PUBLIC_NAMES)
    for name in PUBLIC_NAMES:
        assert getattr(aiomsg, name) is not None


def test_web_exports_are_pinned() -> None:
    import aiomsg.web

    assert sorted(aiomsg.web.__all__) == ["AsgiEndpoint", "aiohttp_handler", "asgi_endpoint"]


def test_transport_exports_are_pinned() -> None:
    import aiomsg.transports

    assert sorted(aiomsg.transports.__all__) == sorted(TRANSPORT_NAMES)
