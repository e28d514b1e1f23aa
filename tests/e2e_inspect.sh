#!/usr/bin/env bash
# inspect on a model or ensemble file: its members, each layer with its output shape and
# parameter count (checked against the weight and bias arrays h5py reads), the config, the
# target and the training data's manifest hash; and inspect dataset.h5 listing every /stats
# dataset (issue "Never silently wrong", 20).
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

# the shipped ensemble: two members, each layer's parameters as the file holds them
"$PF" inspect models/pitch.h5 > "$T/ens.txt" || fail "inspect models/pitch.h5"
grep -q "schema       pitchforge-ensemble/1, 2 members" "$T/ens.txt" || fail "no member count"
grep -q "^member 2 of 2" "$T/ens.txt" || fail "no second member"
grep -q "target       bins: 370 bins of 20 cents from MIDI 35" "$T/ens.txt" || fail "no target"
grep -q "^    model:" "$T/ens.txt" || fail "no config text"
"$PY" - "$T/ens.txt" models/pitch.h5 <<'EOF'
import re, sys, h5py
text = open(sys.argv[1]).read().split("member ")[1:]
f = h5py.File(sys.argv[2], "r")
for m, part in enumerate(text):
    g = f["members/%02d" % m]
    rows = re.findall(r"^ +(\d+)  (\w+) .*?\[(\d+), (\d+), (\d+)\] +([\d,]+)$", part, re.M)
    names = sorted(g["layers"])
    assert len(rows) == len(names) == g.attrs["n_layers"], (len(rows), len(names))
    total = 0
    for (i, kind, c, h, w, params), name in zip(rows, names):
        layer = g["layers"][name]
        want = sum(layer[d].size for d in ("weight", "bias") if d in layer)
        got = int(params.replace(",", ""))
        assert name == "%02d_%s" % (int(i), kind), (name, i, kind)
        assert got == want, (name, got, want)
        total += want
    shown = int(re.search(r"^    total +([\d,]+)$", part, re.M).group(1).replace(",", ""))
    assert shown == total, (shown, total)
    # the last layer's output is what the meta's target needs
    assert int(rows[-1][2]) * int(rows[-1][3]) * int(rows[-1][4]) == g["meta"].attrs["n_bins"]
    print("ok: member %d: %d layers, %d parameters as h5py counts them" % (m + 1, len(rows), total))
EOF

# a model trained here records its data: the manifest sha256 of the dataset.h5 it read
"$PF" generate manifests/tiny.yaml -o "$T/d" -q
sed "s|^dataset: .*|dataset: $T/d/dataset.h5|; s|^output: .*|output: $T/m|; s|^epochs: .*|epochs: 1|" \
  manifests/train-tiny.yaml > "$T/train.yaml"
"$PF" train "$T/train.yaml" -q
"$PF" inspect "$T/m/model.h5" > "$T/model.txt" || fail "inspect model.h5"
sha=$("$PY" -c "import h5py, sys; print(h5py.File(sys.argv[1], 'r').attrs['manifest_sha256'])" "$T/d/dataset.h5")
grep -q "data         manifest sha256 $sha" "$T/model.txt" || fail "no data hash $sha: $(cat "$T/model.txt")"
grep -q "schema       pitchforge-model/1" "$T/model.txt" || fail "model schema"
grep -Eq "^ +1  dense +out 64 +\[64, 1, 1\] +328,384$" "$T/model.txt" \
  || fail "dense layer (64 x 5130 + 64 = 328,384): $(cat "$T/model.txt")"
echo "ok: model.h5 names its data (manifest sha256 $sha) and its layers"

# dataset.h5: every /stats dataset listed
"$PF" inspect "$T/d/dataset.h5" > "$T/ds.txt"
for name in $("$PY" -c "import h5py, sys; print(' '.join(h5py.File(sys.argv[1], 'r')['stats']))" "$T/d/dataset.h5"); do
  grep -Eq "^  $name +(float32|uint64) \[513\]" "$T/ds.txt" || fail "/stats/$name not listed"
done
echo "ok: every /stats dataset listed"
