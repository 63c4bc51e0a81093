"""The codec: ZMTP 3.x and its security mechanisms, sans-I/O.

Bytes in, events out; bytes to write, no I/O. Nothing in this package
imports asyncio or touches a socket, so every wire rule is tested with plain
function calls (a test enforces this). It is the bottom layer: it imports
only :mod:`aiomsg.errors` and :mod:`aiomsg.constants`.

- :mod:`.frames`, :mod:`.greeting`, :mod:`.properties`: the byte layouts.
- :mod:`.codec`: one connection's state machine (:class:`.codec.ZmtpCodec`).
- :mod:`.mechanism` and :mod:`.null`, :mod:`.plain`, :mod:`.curve`: the
  security handshakes, plugged into the codec.
- :mod:`.z85`, :mod:`.sodium`: key text and the libsodium binding.
"""
