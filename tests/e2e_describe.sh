#!/usr/bin/env bash
# Self-describing files (issue "Never silently wrong", 22): every dataset of a shard and of
# dataset.h5 carries `units` and `description` attributes, and the spectrogram's frequency and
# time axes are HDF5 dimension scales (/freq_hz, /time_s) whose values equal the f and t that
# scipy.signal.spectrogram returns for the same settings; h5dump shows them.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

"$PF" generate manifests/tiny.yaml -o "$T/d" -q
"$PF" verify "$T/d" > /dev/null || fail "verify"
shard=$(cd "$T/d" && ls train-*.h5 | head -1)

"$PY" - "$T/d/$shard" "$T/d/dataset.h5" <<'EOF'
import sys, h5py, numpy as np, scipy.signal
for path in sys.argv[1:]:
    f = h5py.File(path, "r")
    a = f.attrs
    rate, n, ov, nfft = float(a["sample_rate"]), int(a["stft_length"]), int(a["stft_overlap"]), int(a["stft_nfft"])
    audio = f["audio"] if "audio" in f else f["train/audio"]
    fr, t, _ = scipy.signal.spectrogram(np.zeros(audio.shape[1]), fs=rate, window="hann",
                                        nperseg=n, noverlap=ov, nfft=nfft)
    missing, seen = [], []
    def check(name, obj):
        if isinstance(obj, h5py.Dataset):
            seen.append(name)
            for key in ("units", "description"):
                if key not in obj.attrs or not str(obj.attrs[key]):
                    missing.append("%s@%s" % (name, key))
    f.visititems(check)
    assert not missing, (path, missing)
    groups = [""] if "spectrogram" in f else ["train/", "val/", "test/"]
    for g in groups:
        spec = f[g + "spectrogram"]
        assert [d.label for d in spec.dims] == ["example", "frequency", "time"], [d.label for d in spec.dims]
        freq, time = spec.dims[1][0], spec.dims[2][0]
        assert freq.name == "/freq_hz" and time.name == "/time_s", (freq.name, time.name)
        assert np.allclose(freq[()], fr, rtol=0, atol=1e-9), "freq_hz differs from scipy's f"
        assert np.allclose(time[()], t, rtol=0, atol=1e-12), "time_s differs from scipy's t"
        ff = f[g + "labels/f0_frames"]
        assert ff.dims[1][0].name == "/time_s" and ff.attrs["units"] == "Hz"
        assert f[g + "labels/f0_hz"].attrs["units"] == "Hz"
    stats = f["stats"]
    for k in stats:
        assert stats[k].dims[0].label == "frequency", k
    print("ok: %s: %d datasets described; freq_hz (%d bins, %g..%g Hz) and time_s (%d columns, "
          "%g..%g s) equal scipy's f and t" % (path.split("/")[-1], len(seen), len(fr),
          fr[0], fr[-1], len(t), t[0], t[-1]))
EOF

# what h5ls / h5dump (Debian's hdf5-tools) show without pitchforge
if command -v h5dump > /dev/null; then
  h5dump -A -d /labels/f0_hz "$T/d/$shard" | grep -q 'requested pitch: 440' || fail "h5dump: no description"
  h5dump -A -d /spectrogram "$T/d/$shard" | grep -q '"FS/sqrt(Hz)"' || fail "h5dump: no units"
  h5ls -v "$T/d/dataset.h5/train/spectrogram" | grep -q 'DIMENSION_LIST' || fail "h5ls: no dimension scales"
  echo "ok: h5dump and h5ls show the descriptions, units and dimension scales"
else
  echo "skip: no h5dump (make deps installs hdf5-tools)"
fi
