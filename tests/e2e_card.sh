#!/usr/bin/env bash
# The dataset card is a Hugging Face dataset card (issue "Never silently wrong", 23): YAML front
# matter with each soundfont's license (as the Debian package's copyright file gives it), task
# categories and the size category; a field table matching the shard's datasets and their
# units; an h5py snippet that runs; known limitations; how to cite.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

"$PF" generate manifests/tiny.yaml -o "$T/timgm" -q
sed 's|soundfonts/TimGM6mb.sf2|soundfonts/FluidR3_GM.sf2|; s|id: timgm|id: fluidr3|; s|soundfont: timgm|soundfont: fluidr3|' \
  manifests/tiny.yaml > "$T/fluid.yaml"
"$PF" generate "$T/fluid.yaml" -o "$T/fluid" -q

"$PY" - "$T/timgm" "$T/fluid" <<'EOF'
import glob, os, re, subprocess, sys
import h5py, yaml

debian = {"TimGM6mb.sf2": "timgm6mb-soundfont", "FluidR3_GM.sf2": "fluid-soundfont-gm"}
spdx_in_copyright = {"GPL-2.0-only": "GPL-2", "MIT": "MIT license"}
for folder, want in zip(sys.argv[1:], (["gpl-2.0"], ["mit"])):
    card = open(os.path.join(folder, "README.md")).read()
    assert card.startswith("---\n"), "no front matter"
    meta = yaml.safe_load(card.split("---\n")[1])
    n = sum(len(h5py.File(p, "r")["labels/f0_hz"]) for p in glob.glob(folder + "/*-of-*.h5"))
    assert meta["license"] == want, meta["license"]
    assert meta["pretty_name"] == "tiny" and "audio-classification" in meta["task_categories"]
    assert meta["size_categories"] == ["n<1K" if n < 1000 else "1K<n<10K"], (meta, n)
    # the license row against the Debian package's copyright file
    rows = re.findall(r"^\| (\w+) \| `([^`]+)` \| ([\w.-]+) \| [^|]+ \| ([\w-]+) \|$", card, re.M)
    assert len(rows) == 1, rows
    sf, pkg = os.path.basename(rows[0][1]), rows[0][3]
    assert debian[sf] == pkg, (sf, pkg)
    copyright = open("/usr/share/doc/%s/copyright" % pkg).read()
    assert spdx_in_copyright[rows[0][2]] in copyright, (rows[0][2], pkg)
    # the field table: every dataset of a shard, with its own units
    shard = h5py.File(sorted(glob.glob(folder + "/train-*.h5"))[0], "r")
    fields = dict((m[0], m[1]) for m in re.findall(r"^\| `([\w/]+)` \| \w+ \| \[[^]]*\] \| ([^|]*) \|", card, re.M))
    names = ["spectrogram", "audio"] + ["labels/" + k for k in shard["labels"]]
    for name in names:
        assert name in fields, ("missing field", name)
        assert fields[name].strip() == shard[name].attrs["units"], (name, fields[name])
    # the h5py snippet runs in the dataset's folder
    code = re.search(r"```python\n(.*?)```", card, re.S).group(1)
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)
    for section in ("## Soundfonts and licenses", "## Fields", "## How to load", "## Known limitations",
                    "## How to cite"):
        assert section in card, section
    sha = shard.attrs["manifest_sha256"]
    assert re.search(r"@misc\{pitchforge_tiny,.*manifest sha256 %s" % sha, card, re.S), "citation"
    print("ok: %s: license %s, %d examples (%s), %d fields, the h5py snippet runs" %
          (os.path.basename(folder), want, n, meta["size_categories"][0], len(names)))
EOF
