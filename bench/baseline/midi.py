"""Write a one-note Standard MIDI File (format 0) with the standard library only.

Usage: midi.py OUT.mid PROGRAM KEY VELOCITY NOTE_S RELEASE_S

The blog used MIDIUtil for this step; this is the same file in ~30 lines. Tempo 120 bpm,
480 ticks per quarter note (960 ticks per second): program change and note-on at 0, note-off
at NOTE_S, end of track at NOTE_S + RELEASE_S so the render keeps the release tail.
"""
import struct
import sys

TPQ = 480          # ticks per quarter note
TEMPO_US = 500000  # microseconds per quarter note (120 bpm) -> 960 ticks per second


def vlq(n):
    """MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def one_note(program, key, velocity, note_s, release_s, channel=0):
    ticks_per_s = TPQ * 1_000_000 / TEMPO_US
    on = round(note_s * ticks_per_s)
    tail = round(release_s * ticks_per_s)
    ev = b"".join([
        vlq(0) + b"\xff\x51\x03" + TEMPO_US.to_bytes(3, "big"),   # set tempo
        vlq(0) + bytes([0xC0 | channel, program]),                 # program change
        vlq(0) + bytes([0x90 | channel, key, velocity]),           # note on
        vlq(on) + bytes([0x80 | channel, key, 0]),                 # note off
        # a no-op controller at the end keeps the player (and so the render) running through
        # the release tail; end of track follows it
        vlq(tail) + bytes([0xB0 | channel, 0x6E, 0]),
        vlq(0) + b"\xff\x2f\x00",                                  # end of track
    ])
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TPQ)
    return header + b"MTrk" + struct.pack(">I", len(ev)) + ev


if __name__ == "__main__":
    out, program, key, velocity = sys.argv[1], *map(int, sys.argv[2:5])
    note_s, release_s = map(float, sys.argv[5:7])
    with open(out, "wb") as f:
        f.write(one_note(program, key, velocity, note_s, release_s))
