#!/usr/bin/env bash
# show draws a figure as librosa's specshow (issue "Never silently wrong", 21): the spectrogram
# with a frequency axis in Hz and a time axis in seconds (tick marks where the grid puts them),
# a viridis colour bar in dB, the example's labels as the title; dataset.h5 with --split draws
# the same picture as the shard that holds the row.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

"$PF" generate manifests/tiny.yaml -o "$T/d" -q
"$PF" show "$T/d/val-00000-of-00002.h5" -e 3 -o "$T/shard.png" 2> "$T/shard.txt"
"$PF" show "$T/d/dataset.h5" --split val -e 3 -o "$T/index.png" 2> "$T/index.txt"
cat "$T/shard.txt" "$T/index.txt"

# the title: the example's labels, as h5py reads them
"$PY" - "$T/d/val-00000-of-00002.h5" "$T/shard.txt" <<'EOF'
import sys, h5py
L = h5py.File(sys.argv[1], "r")["labels"]
names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
midi = int(L["midi"][3])
want = "%s%d %+.1f cents (%.2f Hz), velocity %d, %s, %s" % (
    names[midi % 12], midi // 12 - 1, L["cents"][3], L["f0_hz"][3], L["velocity"][3],
    h5py.check_enum_dtype(L["segment"].dtype) and
    {v: k for k, v in h5py.check_enum_dtype(L["segment"].dtype).items()}[L["segment"][3]],
    L["instrument"].asstr()[3])
got = open(sys.argv[2]).read()
assert "example 3: " + want in got, (want, got)
print("ok: the title holds the labels:", want)
EOF
grep -q "dataset.h5 val, example 3: " "$T/index.txt" || fail "dataset.h5 --split val: $(cat "$T/index.txt")"

# the figure: size, axis ticks at the grid's Hz and seconds, the colour bar, the same picture
"$PY" - "$T/shard.png" "$T/index.png" <<'EOF'
import sys, struct, zlib
import numpy as np

def png(path):  # 8-bit RGB or RGBA, non-interlaced (what cairo writes)
    b = open(path, "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(b):
        n, kind = struct.unpack(">I4s", b[pos:pos + 8])
        data = b[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", data[:10])
        if kind == b"IDAT":
            idat += data
        pos += 12 + n
    ch = {2: 3, 6: 4}[ctype]
    raw, stride = zlib.decompress(idat), w * ch
    img, prev = np.zeros((h, stride), np.int64), np.zeros(stride, np.int64)
    for y in range(h):
        f, row = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        out = np.zeros(stride, np.int64)
        for x in range(stride):
            a = out[x - ch] if x >= ch else 0
            c = prev[x - ch] if x >= ch else 0
            p = [0, a, prev[x], (a + prev[x]) // 2, None][f] if f < 4 else \
                min((a, prev[x], c), key=lambda v: (abs(a + prev[x] - c - v), [a, prev[x], c].index(v)))
            out[x] = (row[x] + p) & 255
        img[y], prev = out, out
    return img.reshape(h, w, ch)[:, :, :3]

a, b = png(sys.argv[1]), png(sys.argv[2])
L, TOP, W, H = 76, 58, 90 * 4, 513
assert a.shape == (TOP + H + 50, L + W + 104, 3), a.shape
area = (slice(TOP, TOP + H), slice(L, L + W))
assert (a[area] == b[area]).all(), "dataset.h5 --split val draws another picture than the shard"
dark = lambda px: px.sum() < 600  # a tick: not white (1-pixel lines are antialiased)
# frequency ticks every 2000 Hz: bin k (15.625 Hz) is the row TOP + H - 1 - k
for hz in range(0, 8001, 2000):
    y = int(round(TOP + H - (hz / 15.625 + 0.5)))
    assert dark(a[y, L - 3]) or dark(a[y + 1, L - 3]), ("no tick at %d Hz" % hz, y)
assert not dark(a[TOP + H - int(1000 / 15.625), L - 3]), "a tick at 1000 Hz"
# time ticks every 0.05 s: column k (centre (128 + 56 k) / 16000 s) spans 4 pixels
for t in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
    x = L + (t - (128 - 28) / 16000) / (56 / 16000) * 4
    assert dark(a[TOP + H + 3, int(x)]) or dark(a[TOP + H + 3, int(x) + 1]), ("no tick at %g s" % t)
# the colour bar: viridis from yellow (top) to dark purple (bottom)
bar = L + W + 14 + 9
assert abs(a[TOP + 1, bar] - [253, 231, 37]).max() < 12, a[TOP + 1, bar]
assert abs(a[TOP + H - 2, bar] - [68, 1, 84]).max() < 12, a[TOP + H - 2, bar]
print("ok: %dx%d figure, Hz ticks every 2000, s ticks every 0.05, viridis colour bar; "
      "dataset.h5 --split val draws the shard's picture" % (a.shape[1], a.shape[0]))
EOF

msg=$("$PF" show "$T/d/val-00000-of-00002.h5" --split val -e 0 -o "$T/x.png" 2>&1) && fail "--split on a shard"
echo "$msg" | grep -q "is a shard: --split is for dataset.h5" || fail "--split on a shard: $msg"
echo "ok: --split on a shard refused"
