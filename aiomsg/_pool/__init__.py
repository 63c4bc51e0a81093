"""The pool layer: a socket's pipes (:mod:`.pipe`), the strategies composed
over them (:mod:`.strategies`), and the pool that owns both and implements
the engine side of a socket (:mod:`.pool`). See docs/internals.md."""
