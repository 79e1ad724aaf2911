"""The key sequence that detaches ``attach`` from a container (Docker's
``--detach-keys``, ``ctrl-p,ctrl-q`` by default), parsed as moby/term's
``ToBytes`` parses it, and a scanner that finds it in what the user types.

Pure: the scanner is fed each chunk read from our stdin and says what to pass on
to the container and whether the sequence was typed.  Bytes that start the
sequence are held back until the sequence either completes (they are dropped) or
breaks (they are passed on), as moby/term's escape proxy does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.errors import UsageError

DEFAULT = "ctrl-p,ctrl-q"
# moby/term's names for the control codes, indexed by their byte
_CONTROL = ["ctrl-@", *(f"ctrl-{chr(c)}" for c in range(ord("a"), ord("z") + 1)),
            "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"]


def parse(spec: str) -> bytes:
    """``ctrl-p,ctrl-q`` -> b'\\x10\\x11'; a one-character key stands for itself,
    ``DEL`` for 127."""
    codes = bytearray()
    for key in spec.split(","):
        if len(key) == 1:
            codes += key.encode()
        elif key in _CONTROL:
            codes.append(_CONTROL.index(key))
        elif key == "DEL":
            codes.append(127)
        else:
            raise UsageError(f"Invalid detach keys ({spec}) provided")
    return bytes(codes)


@dataclass
class DetachScanner:
    """Finds ``keys`` across the chunks of a stream."""

    keys: bytes
    _held: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """What of ``data`` goes on to the container, and whether the sequence is
        now complete (what follows it is dropped: the user has left)."""
        if not self.keys:
            return data, False
        out = bytearray()
        for byte in data:
            self._held.append(byte)
            if self.keys.startswith(self._held):
                if len(self._held) == len(self.keys):
                    self._held.clear()
                    return bytes(out), True
                continue
            # the sequence broke: pass the held bytes on, but the last byte may
            # start the sequence again
            out += self._held[:-1]
            last = self._held[-1:]
            self._held.clear()
            if self.keys.startswith(last):
                self._held += last
            else:
                out += last
        return bytes(out), False
