#!/usr/bin/python3
"""List the presets of SoundFonts (SF2, or SF3: same pdta) that modulate their own pitch.

Reference tool for docs/synth-pitch.md (not part of the product). For each preset it reads the
hydra (phdr, pbag, pgen, pmod, inst, ibag, igen, imod), pairs every preset zone with every
instrument zone whose key and velocity ranges overlap it (the voices FluidSynth would start),
and computes per pair the generator values a voice gets, as FluidSynth's fluid_defpreset_noteon
does: instrument local zone overrides instrument global zone overrides the default; the preset
value (local overrides global) is added on top.

Reported per preset, in cents (max |value| over its voices, with the keys where nonzero):
  vib      vibLfoToPitch (gen 6): triangle LFO, +-depth, rate in Hz and delay in s
  modlfo   modLfoToPitch (gen 5): same, with the modulation LFO
  modenv   modEnvToPitch (gen 7): depth at the envelope's peak; `sus` is the offset left
           while the note is held (depth * sustain level), a constant detune after the decay
  mod      modulators whose destination is a pitch generator (5, 6, 7, 51 coarse, 52 fine),
           with their source; these act only when the source is nonzero
  tune     static coarse/fine tune (gens 51, 52) of a voice, not modulation: listed with
           --tune only (a layered preset whose voices differ in tuning plays two pitches)
The SoundFont default modulators (SF2.01 8.4) that FluidSynth 2.3.1 adds to every voice and that
reach pitch: CC1 (mod wheel) -> vibLfoToPitch 50 cents, channel pressure -> vibLfoToPitch
50 cents, pitch wheel * pitch-wheel sensitivity -> fine tune. All three are zero while the
controller is at its reset value. Portamento is a channel behaviour (CC65 on, or CC84), not a
preset property, and is off after a reset.

usage: sf2_pitchmod.py [--all] [--tune] [--summary] SOUNDFONT...
  --all      list every preset, not only the affected ones
  --summary  only the per-soundfont counts (markdown table rows)
"""
import argparse
import math
import struct
import sys

GEN_KEYRANGE, GEN_VELRANGE, GEN_INSTRUMENT, GEN_SAMPLEID = 43, 44, 41, 53
GEN_MODLFOTOPITCH, GEN_VIBLFOTOPITCH, GEN_MODENVTOPITCH = 5, 6, 7
GEN_MODLFODELAY, GEN_MODLFOFREQ, GEN_VIBLFODELAY, GEN_VIBLFOFREQ = 21, 22, 23, 24
GEN_SUSTAINMODENV, GEN_COARSETUNE, GEN_FINETUNE = 29, 51, 52
PITCH_DESTS = {5: "modLfoToPitch", 6: "vibLfoToPitch", 7: "modEnvToPitch", 51: "coarseTune",
               52: "fineTune"}
# SF2.01 8.1.3 defaults that matter here (all others 0)
DEFAULTS = {GEN_MODLFODELAY: -12000, GEN_VIBLFODELAY: -12000, GEN_MODLFOFREQ: 0,
            GEN_VIBLFOFREQ: 0, GEN_SUSTAINMODENV: 0}
GC_NAMES = {0: "none", 2: "velocity", 3: "key", 10: "poly pressure", 13: "channel pressure",
            14: "pitch wheel", 16: "pitch-wheel sens", 127: "link"}


def chunks(data, start, end):
    """Yield (id, body_start, body_end) of the RIFF chunks in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        yield cid, pos + 8, pos + 8 + size
        pos += 8 + size + (size & 1)


def read_pdta(path):
    """The hydra of a SoundFont as a dict of record lists."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise ValueError(f"{path}: not a SoundFont (RIFF sfbk)")
    for cid, s, e in chunks(data, 12, len(data)):
        if cid == b"LIST" and data[s:s + 4] == b"pdta":
            sub = {c.decode(): data[a:b] for c, a, b in chunks(data, s + 4, e)}
            break
    else:
        raise ValueError(f"{path}: no pdta list")

    def recs(name, fmt):
        size = struct.calcsize(fmt)
        body = sub[name]
        return [struct.unpack_from(fmt, body, i) for i in range(0, len(body) - size + 1, size)]

    def name(raw):
        return raw.split(b"\0", 1)[0].decode("latin-1").strip()

    return {
        "phdr": [(name(r[0]), r[1], r[2], r[3]) for r in recs("phdr", "<20sHHHIII")],
        "pbag": recs("pbag", "<HH"), "pgen": recs("pgen", "<Hh"), "pmod": recs("pmod", "<HHhHH"),
        "inst": [(name(r[0]), r[1]) for r in recs("inst", "<20sH")],
        "ibag": recs("ibag", "<HH"), "igen": recs("igen", "<Hh"), "imod": recs("imod", "<HHhHH"),
    }


def zones(bags, gens, mods, first, last, terminal):
    """Zones of one preset/instrument: (global_zone or None, [local zones]).

    A zone is (gens dict, mods list, keyrange, velrange); gens map oper -> signed amount.
    """
    out = []
    for b in range(first, last):
        g0, m0 = bags[b]
        g1, m1 = bags[b + 1]
        zg, kr, vr = {}, (0, 127), (0, 127)
        for oper, amt in gens[g0:g1]:
            if oper in (GEN_KEYRANGE, GEN_VELRANGE):
                lo, hi = amt & 0xFF, (amt >> 8) & 0xFF
                if oper == GEN_KEYRANGE:
                    kr = (lo, hi)
                else:
                    vr = (lo, hi)
            else:
                zg[oper] = amt
        out.append((zg, list(mods[m0:m1]), kr, vr))
    glob = None
    if out and terminal not in out[0][0]:
        glob, out = out[0], out[1:]
    return glob, [z for z in out if terminal in z[0]]


def src_name(oper):
    """Readable modulator source (SF2.01 8.2)."""
    idx, cc = oper & 0x7F, oper & 0x80
    return f"CC{idx}" if cc else GC_NAMES.get(idx, f"gc{idx}")


def pitch_mods(mods):
    """[(dest name, source text, amount)] of modulators with a pitch destination."""
    out = []
    for src, dest, amt, amtsrc, _trans in mods:
        if dest in PITCH_DESTS and amt != 0 and (src & 0x7F or src & 0x80):
            s = src_name(src) + ("" if (amtsrc & 0x7F) == 0 and not amtsrc & 0x80
                                 else " x " + src_name(amtsrc))
            out.append((PITCH_DESTS[dest], s, amt))
    return out


def gen(izone, iglob, pzone, pglob, oper):
    """A voice's value of generator @oper: instrument (local > global > default) + preset."""
    base = izone[0].get(oper, iglob[0].get(oper, DEFAULTS.get(oper, 0)) if iglob else
                        DEFAULTS.get(oper, 0))
    add = pzone[0].get(oper, pglob[0].get(oper, 0) if pglob else 0)
    return base + add


def overlap(a, b):
    return max(a[0], b[0]) <= min(a[1], b[1])


def voices(pd, pi):
    """Yield (keyrange, pzone, pglob, izone, iglob) for preset index pi."""
    ph, insts = pd["phdr"], pd["inst"]
    pglob, plocal = zones(pd["pbag"], pd["pgen"], pd["pmod"], ph[pi][3], ph[pi + 1][3],
                          GEN_INSTRUMENT)
    for pz in plocal:
        ii = pz[0][GEN_INSTRUMENT]
        iglob, ilocal = zones(pd["ibag"], pd["igen"], pd["imod"], insts[ii][1],
                              insts[ii + 1][1], GEN_SAMPLEID)
        for iz in ilocal:
            if overlap(pz[2], iz[2]) and overlap(pz[3], iz[3]):
                kr = (max(pz[2][0], iz[2][0]), min(pz[2][1], iz[2][1]))
                yield kr, pz, pglob, iz, iglob


class Depth:
    """Max |value| of one quantity over a preset's voices, and the keys where it is nonzero."""

    def __init__(self):
        self.v, self.lo, self.hi, self.extra = 0, 128, -1, ""

    def add(self, value, kr, extra=""):
        if value == 0:
            return
        if abs(value) > abs(self.v):
            self.v, self.extra = value, extra
        self.lo, self.hi = min(self.lo, kr[0]), max(self.hi, kr[1])

    def text(self, label):
        if not self.v:
            return ""
        keys = "" if (self.lo, self.hi) == (0, 127) else f" keys {self.lo}-{self.hi}"
        return f"{label} {self.v:+d}c{self.extra}{keys}"


def lfo_text(v):
    """' @5.0Hz d0.50s' from (freq, delay) generator values in absolute cents / timecents."""
    freq, delay = v
    return f" @{8.176 * 2 ** (freq / 1200):.1f}Hz d{2 ** (delay / 1200):.2f}s"


def analyse(pd, pi):
    """A dict of Depth objects and modulator/tune notes for preset pi."""
    d = {k: Depth() for k in ("vib", "modlfo", "modenv", "sus")}
    mods, tunes = set(), set()
    for kr, pz, pg, iz, ig in voices(pd, pi):
        g = lambda o: gen(iz, ig, pz, pg, o)  # noqa: E731
        d["vib"].add(g(GEN_VIBLFOTOPITCH), kr,
                     lfo_text((g(GEN_VIBLFOFREQ), g(GEN_VIBLFODELAY))))
        d["modlfo"].add(g(GEN_MODLFOTOPITCH), kr,
                        lfo_text((g(GEN_MODLFOFREQ), g(GEN_MODLFODELAY))))
        env = g(GEN_MODENVTOPITCH)
        d["modenv"].add(env, kr)
        level = 1.0 - min(max(g(GEN_SUSTAINMODENV), 0), 1000) / 1000.0
        d["sus"].add(int(round(env * level)), kr)
        for z in (pz, pg, iz, ig):
            if z:
                mods.update(pitch_mods(z[1]))
        tunes.add(100 * g(GEN_COARSETUNE) + g(GEN_FINETUNE))
    return d, sorted(mods), sorted(tunes)


def preset_line(pd, pi, show_tune):
    """(affected, text) for preset pi."""
    name, prog, bank, _ = pd["phdr"][pi]
    d, mods, tunes = analyse(pd, pi)
    parts = [d["vib"].text("vib"), d["modlfo"].text("modlfo"), d["modenv"].text("modenv")]
    if d["modenv"].v:
        parts.append(f"sus {d['sus'].v:+d}c")
    parts += [f"mod {src}->{dst} {amt:+d}c" for dst, src, amt in mods]
    affected = any(parts)
    if show_tune and tunes != [0]:
        parts.append("tune " + ",".join(f"{t:+d}c" for t in tunes))
    return affected, f"{bank:3d} {prog:3d} {name:<20} " + "  ".join(p for p in parts if p)


def report(path, args):
    pd = read_pdta(path)
    n = len(pd["phdr"]) - 1  # the last record is EOP
    order = sorted(range(n), key=lambda i: (pd["phdr"][i][2], pd["phdr"][i][1]))
    rows = [(pd["phdr"][i][2],) + preset_line(pd, i, args.tune) for i in order]
    count = {k: 0 for k in ("vib", "modlfo", "modenv", "mod")}
    mel = [r for r in rows if r[0] != 128]
    for i in order:
        d, mods, _ = analyse(pd, i)
        for k in ("vib", "modlfo", "modenv"):
            count[k] += bool(d[k].v)
        count["mod"] += bool(mods)
    hit = sum(r[1] for r in rows)
    hit_mel = sum(r[1] for r in mel)
    short = path.rsplit("/", 1)[-1]
    if args.summary:
        print(f"| {short} | {n} | {hit} | {hit_mel} of {len(mel)} | {count['vib']} | "
              f"{count['modlfo']} | {count['modenv']} | {count['mod']} |")
        return
    print(f"# {short}: {n} presets, {hit} with own pitch modulation ({hit_mel} of {len(mel)} "
          f"melodic); vib {count['vib']}, modlfo {count['modlfo']}, modenv {count['modenv']}, "
          f"pitch modulators {count['mod']}")
    for _bank, affected, text in rows:
        if affected or args.all:
            print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("soundfonts", nargs="+")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--summary", action="store_true")
    args = ap.parse_args()
    if args.summary:
        print("| soundfont | presets | with pitch mod. | melodic | vibLfoToPitch | "
              "modLfoToPitch | modEnvToPitch | pitch modulators |")
        print("|---|---|---|---|---|---|---|---|")
    for p in args.soundfonts:
        report(p, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
