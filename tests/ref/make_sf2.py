"""Write a tiny SoundFont 2 with keys tuned off on purpose, for the key audit's tests.

usage: make_sf2.py OUT.sf2 KEY:CENTS...

Two presets over one 4-second harmonic tone recorded at C4 (root key 60; harmonics 1-6 at 1/k,
no loop), every key playing it at its own pitch: bank 0 program 0 "Detuned Test", where each
KEY:CENTS pair (MIDI key, integer cents) gets a zone of its own with that fineTune, so that key
sounds CENTS off its written pitch and every other key is exact; program 1 "Exact Test", every
key exact. Written from the SF2.04
specification with the standard library only.
"""
import math
import struct
import sys

RATE = 44100
SECONDS = 4.0
ROOT = 60

# Generator operators (SF2.04 section 8.1.2).
GEN_INSTRUMENT, GEN_KEYRANGE, GEN_FINETUNE, GEN_SAMPLEID, GEN_SAMPLEMODES = 41, 43, 52, 53, 54


def chunk(tag, data):
    pad = b"\0" if len(data) % 2 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def riff_list(tag, chunks):
    body = tag + b"".join(chunks)
    return b"LIST" + struct.pack("<I", len(body)) + body


def name20(s):
    return s.encode()[:19].ljust(20, b"\0")


def tone():
    f0 = 440.0 * 2 ** ((ROOT - 69) / 12)
    n = int(RATE * SECONDS)
    out = bytearray()
    for i in range(n):
        v = sum(math.sin(2 * math.pi * k * f0 * i / RATE) / k for k in range(1, 7))
        out += struct.pack("<h", int(round(0.3 * 32767 * v / 2.45)))
    return bytes(out) + b"\0\0" * 46, n


def zones(detuned):
    """(key_lo, key_hi, fine) zones covering 0..127, each detuned key alone."""
    out, lo = [], 0
    for key in sorted(detuned):
        if key > lo:
            out.append((lo, key - 1, 0))
        out.append((key, key, detuned[key]))
        lo = key + 1
    if lo <= 127:
        out.append((lo, 127, 0))
    return out


def build(detuned):
    smpl, n = tone()
    igen, ibag = b"", b""
    g = 0
    for lo, hi, fine in zones(detuned):
        ibag += struct.pack("<HH", g, 0)
        gens = [(GEN_KEYRANGE, bytes([lo, hi]))]
        if fine:
            gens.append((GEN_FINETUNE, struct.pack("<h", fine)))
        gens += [(GEN_SAMPLEMODES, struct.pack("<H", 0)), (GEN_SAMPLEID, struct.pack("<H", 0))]
        for op, amount in gens:
            igen += struct.pack("<H", op) + amount
        g += len(gens)
    n_izones = len(zones(detuned))
    ibag += struct.pack("<HH", g, 0)  # the exact instrument: one zone over every key
    for op, amount in [(GEN_SAMPLEMODES, struct.pack("<H", 0)), (GEN_SAMPLEID, struct.pack("<H", 0))]:
        igen += struct.pack("<H", op) + amount
    g += 2
    ibag += struct.pack("<HH", g, 0)
    igen += struct.pack("<HH", 0, 0)
    pdta = [
        chunk(b"phdr", name20("Detuned Test") + struct.pack("<HHHIII", 0, 0, 0, 0, 0, 0)
              + name20("Exact Test") + struct.pack("<HHHIII", 1, 0, 1, 0, 0, 0)
              + name20("EOP") + struct.pack("<HHHIII", 0, 0, 2, 0, 0, 0)),
        chunk(b"pbag", struct.pack("<HHHHHH", 0, 0, 1, 0, 2, 0)),
        chunk(b"pmod", b"\0" * 10),
        chunk(b"pgen", struct.pack("<HH", GEN_INSTRUMENT, 0) + struct.pack("<HH", GEN_INSTRUMENT, 1)
              + struct.pack("<HH", 0, 0)),
        chunk(b"inst", name20("Detuned") + struct.pack("<H", 0)
              + name20("Exact") + struct.pack("<H", n_izones)
              + name20("EOI") + struct.pack("<H", n_izones + 1)),
        chunk(b"ibag", ibag),
        chunk(b"imod", b"\0" * 10),
        chunk(b"igen", igen),
        chunk(b"shdr", name20("tone") + struct.pack("<IIIIIBbHH", 0, n, 0, 0, RATE, ROOT, 0, 0, 1)
              + name20("EOS") + struct.pack("<IIIIIBbHH", 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    ]
    info = [chunk(b"ifil", struct.pack("<HH", 2, 1)), chunk(b"isng", b"EMU8000\0"),
            chunk(b"INAM", b"pitchforge test\0")]
    body = b"sfbk" + riff_list(b"INFO", info) + riff_list(b"sdta", [chunk(b"smpl", smpl)]) \
        + riff_list(b"pdta", pdta)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main():
    detuned = {}
    for arg in sys.argv[2:]:
        key, cents = arg.split(":")
        detuned[int(key)] = int(cents)
    with open(sys.argv[1], "wb") as f:
        f.write(build(detuned))


if __name__ == "__main__":
    main()
