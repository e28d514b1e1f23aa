// Spotify's basic-pitch (npm @spotify/basic-pitch) on a folder of WAVs: per file, a CSV of its
// frame-wise f0 and voicing, for bench/basic-pitch/score.py. Benchmark only, never a dependency
// of pitchforge (README.md here has the method and the figures).
//
//   node run.mjs IN_DIR OUT_DIR [--gap-s 0.5] [--isolated] [--backend wasm|cpu] [--limit N]
//
// IN_DIR holds mono WAVs at 22,050 Hz (what basic-pitch's API takes; export.py writes them),
// 16-bit PCM or 32-bit float. OUT_DIR gets NAME.csv per NAME.wav:
//   time,notes_f0,contour_f0,contour_confidence
// time in s from the file's start; notes_f0 the pitch of basic-pitch's own note decoding
// (outputToNotesPoly with the package's default thresholds, addPitchBendsToNoteEvents; 0 where
// no note sounds); contour_f0 the contour posterior's peak (33-cent bins, refined by the
// weighted mean of the peak bin and its two neighbours) and contour_confidence its height.
//
// The model runs on 2 s windows overlapping by 30 frames, exactly as BasicPitch.evaluateModel
// frames audio (3840 zeros in front, windows every 36,164 samples, the middle 142 of each
// window's 172 output frames kept). By default the files are laid end to end with --gap-s of
// silence between them and run as one stream (a 330 ms clip alone costs a whole window); each
// file's frames are then cut back out by time and decoded on their own. --isolated runs every
// file as its own stream instead (what evaluateModel does with that file alone).
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, 'package.json'));
const tf = require('@tensorflow/tfjs');
const bp = require('@spotify/basic-pitch');

const SR = 22050, FFT_HOP = 256;
const WIN = SR * 2 - FFT_HOP;             // AUDIO_N_SAMPLES: 43,844 samples a window
const N_OVERLAP = 30, HALF = N_OVERLAP / 2;
const STEP = WIN - N_OVERLAP * FFT_HOP;   // HOP_SIZE: 36,164
const LEAD = (N_OVERLAP * FFT_HOP) / 2;   // zeros put in front: 3,840
const KEEP = 172 - N_OVERLAP;             // output frames kept per window
const FPS = Math.floor(SR / FFT_HOP);     // ANNOTATIONS_FPS (86), as the package trims
const CONTOUR_BASE_HZ = 27.5, CONTOUR_BINS_PER_OCTAVE = 36;
const BATCH = 4;                          // windows per model call

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error('usage: node run.mjs IN_DIR OUT_DIR [--gap-s S] [--isolated] [--backend wasm|cpu] [--limit N]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { gapS: 0.5, isolated: false, backend: 'wasm', limit: Infinity, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--gap-s' && i + 1 < argv.length) a.gapS = Number(argv[++i]);
    else if (s === '--isolated') a.isolated = true;
    else if (s === '--backend' && i + 1 < argv.length) a.backend = argv[++i];
    else if (s === '--limit' && i + 1 < argv.length) a.limit = Number(argv[++i]);
    else if (s.startsWith('-')) usage(`unexpected argument '${s}'`);
    else a.pos.push(s);
  }
  if (a.pos.length !== 2) usage('IN_DIR and OUT_DIR are needed');
  if (!(a.gapS >= 0)) usage('--gap-s takes seconds >= 0');
  if (!['wasm', 'cpu'].includes(a.backend)) usage('--backend is wasm or cpu');
  return a;
}

// The samples of a mono WAV (PCM16 or float32) as floats; refuses other rates and layouts.
function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not a RIFF/WAVE file`);
  let fmt = null;
  for (let at = 12; at + 8 <= b.length;) {
    const id = b.toString('ascii', at, at + 4), len = b.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      let tag = b.readUInt16LE(at + 8);
      if (tag === 0xfffe) tag = b.readUInt16LE(at + 32); // WAVE_FORMAT_EXTENSIBLE's subformat
      fmt = { tag, ch: b.readUInt16LE(at + 10), rate: b.readUInt32LE(at + 12), bits: b.readUInt16LE(at + 22) };
    } else if (id === 'data') {
      if (!fmt) throw new Error(`${file}: data before fmt`);
      if (fmt.ch !== 1 || fmt.rate !== SR)
        throw new Error(`${file}: ${fmt.ch} channels at ${fmt.rate} Hz; basic-pitch takes mono at ${SR} Hz (export.py writes it)`);
      const n = Math.floor(Math.min(len, b.length - at - 8) / (fmt.bits / 8)), x = new Float32Array(n);
      if (fmt.tag === 3 && fmt.bits === 32) for (let i = 0; i < n; i++) x[i] = b.readFloatLE(at + 8 + 4 * i);
      else if (fmt.tag === 1 && fmt.bits === 16) for (let i = 0; i < n; i++) x[i] = b.readInt16LE(at + 8 + 2 * i) / 32768;
      else throw new Error(`${file}: format ${fmt.tag}, ${fmt.bits} bits; PCM16 or float32 only`);
      return x;
    }
    at += 8 + len + (len & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

export async function loadModel() {
  const dir = path.join(here, 'node_modules/@spotify/basic-pitch/model');
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'model.json')));
  const bin = fs.readFileSync(path.join(dir, j.weightsManifest[0].paths[0]));
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights, format: j.format,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) }));
}

// evaluateModel's output for one stream: {frames, onsets, contours} (rows = output frames of
// every window, untrimmed: runGroup trims each file as evaluateModel trims a file) and each
// row's time in the stream.
export async function runStream(model, x) {
  const total = LEAD + x.length, nWin = Math.max(1, Math.ceil(total / STEP)); // tf.signal.frame, pad_end
  const out = { frames: [], onsets: [], contours: [], time: [] };
  for (let w0 = 0; w0 < nWin; w0 += BATCH) {
    const nb = Math.min(BATCH, nWin - w0), buf = new Float32Array(nb * WIN);
    for (let b = 0; b < nb; b++)
      for (let i = 0, s = (w0 + b) * STEP - LEAD; i < WIN; i++, s++)
        if (s >= 0 && s < x.length) buf[b * WIN + i] = x[s];
    const input = tf.tensor3d(buf, [nb, WIN, 1]);
    const res = model.execute(input, ['Identity_1', 'Identity_2', 'Identity']); // frames, onsets, contour
    const [f, o, c] = await Promise.all(res.map(t => t.array()));
    tf.dispose([input, ...res]);
    for (let b = 0; b < nb; b++)
      for (let l = 0; l < KEEP; l++) {
        out.frames.push(f[b][l + HALF]), out.onsets.push(o[b][l + HALF]), out.contours.push(c[b][l + HALF]);
        out.time.push(((w0 + b) * STEP + l * FFT_HOP) / SR); // model frame l+15 is centred there
      }
  }
  return out;
}

// Contour bin b is centred at 27.5 * 2^((b - 1) / 36) Hz: basic-pitch's constants.py puts
// ANNOTATIONS_BASE_FREQUENCY (27.5 Hz) at "the CENTRAL bin of the first semitone (i.e., the
// second bin if annotations_bins_per_semitone is 3)"; measured on our labels, reading bin b as
// 27.5 * 2^(b / 36) is 33 cents sharp (median), and so are the package's own pitch bends, which
// count from that bin (midiPitchToContourBin): both are read one bin down here.
const binHz = bin => CONTOUR_BASE_HZ * 2 ** ((bin - 1) / CONTOUR_BINS_PER_OCTAVE);

// The contour's peak per frame, refined by the weighted mean of it and its neighbours (in bins).
function contourTrack(contours) {
  return contours.map(row => {
    let k = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[k]) k = i;
    let sw = 0, sb = 0;
    for (let i = Math.max(0, k - 1); i <= Math.min(row.length - 1, k + 1); i++) sw += row[i], sb += row[i] * i;
    const bin = sw > 0 ? sb / sw : k;
    return { f0: binHz(bin), conf: row[k] };
  });
}

// basic-pitch's notes (package defaults: onset 0.5, frame 0.3, 5 frames, inferred onsets, the
// melodia trick) with its pitch bends; per frame the sounding note whose frame posterior there
// is highest, at the contour bin its bend points to (its MIDI pitch's bin plus the bend, read
// as binHz reads bins); 0 where none sounds.
function notesTrack(frames, onsets, contours) {
  const f0 = new Array(frames.length).fill(0), best = new Array(frames.length).fill(-1);
  if (frames.length < 2) return f0;
  const notes = bp.addPitchBendsToNoteEvents(contours,
    bp.outputToNotesPoly(frames.map(r => r.slice()), onsets.map(r => r.slice())));
  for (const n of notes)
    for (let d = 0; d < n.durationFrames; d++) {
      const j = n.startFrame + d, p = frames[j][n.pitchMidi - 21];
      if (p > best[j]) best[j] = p, f0[j] = binHz(Math.round(3 * (n.pitchMidi - 21)) + n.pitchBends[d]);
    }
  return f0;
}

// Rows [lo, hi) of a stream's output as one file's output, times from the file's start.
function slice(out, lo, hi, t0) {
  return { frames: out.frames.slice(lo, hi), onsets: out.onsets.slice(lo, hi),
    contours: out.contours.slice(lo, hi), time: out.time.slice(lo, hi).map(t => t - t0) };
}

function writeCsv(file, o) {
  const c = contourTrack(o.contours), n = notesTrack(o.frames, o.onsets, o.contours);
  const lines = ['time,notes_f0,contour_f0,contour_confidence'];
  for (let j = 0; j < o.time.length; j++)
    lines.push(`${o.time[j].toFixed(6)},${n[j].toFixed(4)},${c[j].f0.toFixed(4)},${c[j].conf.toFixed(5)}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

// One stream of files laid end to end with gaps; each file's frames cut back out and written.
async function runGroup(model, clips, gap, outDir) {
  const starts = [];
  let len = 0;
  for (const c of clips) starts.push(len), len += c.x.length + gap;
  len -= gap;
  const x = new Float32Array(len);
  clips.forEach((c, i) => x.set(c.x, starts[i]));
  const out = await runStream(model, x);
  clips.forEach((c, i) => {
    const t0 = starts[i] / SR, nOwn = Math.floor(c.x.length * (FPS / SR)); // as evaluateModel trims
    let lo = 0;
    while (lo < out.time.length && out.time[lo] < t0 - 1e-9) lo++;
    writeCsv(path.join(outDir, c.name.replace(/\.wav$/i, '.csv')), slice(out, lo, Math.min(lo + nOwn, out.time.length), t0));
  });
  return len;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const [inDir, outDir] = a.pos;
  const names = fs.readdirSync(inDir).filter(f => /\.wav$/i.test(f)).sort().slice(0, a.limit);
  if (!names.length) usage(`${inDir}: no .wav files`);
  fs.mkdirSync(outDir, { recursive: true });
  if (a.backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(here, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
    wasm.setThreadsCount(1); // one core, for the real-time factor
  }
  await tf.setBackend(a.backend);
  const model = await loadModel();
  const gap = Math.round(a.gapS * SR), groupS = 120; // streams of about two minutes
  let audioS = 0, group = [], groupLen = 0, done = 0;
  const t0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
  for (const name of names) {
    group.push({ name, x: readWav(path.join(inDir, name)) });
    groupLen += group[group.length - 1].x.length + gap;
    if (a.isolated || groupLen >= groupS * SR || name === names[names.length - 1]) {
      for (const c of group) audioS += c.x.length / SR;
      await runGroup(model, group, gap, outDir);
      done += group.length, group = [], groupLen = 0;
      if (process.stderr.isTTY) process.stderr.write(`\rrun.mjs: ${done}/${names.length} files`);
    }
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9, cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (process.stderr.isTTY) process.stderr.write('\n');
  const summary = { files: names.length, audio_s: audioS, wall_s: wall, cpu_s: cpuS,
    rtf_wall: audioS / wall, rtf_cpu: audioS / cpuS, backend: tf.getBackend(), isolated: a.isolated,
    gap_s: a.isolated ? null : a.gapS };
  console.log(JSON.stringify(summary));
}

export { tf, bp, FPS, SR };

if (import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch(e => { console.error(`run.mjs: ${e.message}`); process.exit(1); });
