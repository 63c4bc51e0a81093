"""PGM (RFC 3208) as libzmq and OpenPGM speak it, sans-I/O.

- :mod:`~aiomsg._pgm.packets`: the packet codec (header, checksum, SPM,
  ODATA/RDATA, NAK/NCF, SPMR, the options libzmq uses);
- :mod:`~aiomsg._pgm.framing`: libzmq's stream inside the data packets
  (a 2-byte offset, then ZMTP/1.0 frames running across packets);
- :mod:`~aiomsg._pgm.source`: a source's state machine (transmit window,
  rate, SPM schedule, repairs);
- :mod:`~aiomsg._pgm.receiver`: a receiver's state machine (a window per
  source, loss detection, NAKs, delivery).

Nothing here touches a socket or a clock: callers pass ``now`` and send what
the state machines hand back. The wire facts are in docs/wire/pgm.md; the
transport that drives these is :mod:`aiomsg.transports._pgm`.
"""
