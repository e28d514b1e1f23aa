// Checks run.mjs's framing against the package's own BasicPitch.evaluateModel: the same model
// outputs, row for row, on 4.5 s of a gliding tone (three windows). evaluateModel fails on the
// wasm backend (tf.signal.frame's padding calls fill without a dtype, which tfjs-backend-wasm
// 3.21 refuses), so both run on tfjs's pure-JS cpu backend. Exit 0 when they agree.
import { loadModel, runStream, tf, bp, FPS, SR } from './run.mjs';

await tf.setBackend('cpu');
const model = await loadModel();
const n = Math.round(4.5 * SR), x = new Float32Array(n);
for (let i = 0, ph = 0; i < n; i++) {
  ph += (2 * Math.PI * 220 * 2 ** (i / n)) / SR; // 220 -> 440 Hz
  x[i] = 0.3 * Math.sin(ph) + 0.1 * Math.sin(2 * ph);
}
const ref = { frames: [], onsets: [], contours: [] };
await new bp.BasicPitch(Promise.resolve(model)).evaluateModel(x, (f, o, c) => {
  ref.frames.push(...f), ref.onsets.push(...o), ref.contours.push(...c);
}, () => {});
const ours = await runStream(model, x);
let worst = 0;
for (const k of ['frames', 'onsets', 'contours'])
  for (let j = 0; j < ref[k].length; j++)
    for (let b = 0; b < ref[k][j].length; b++) worst = Math.max(worst, Math.abs(ref[k][j][b] - ours[k][j][b]));
const rows = ref.contours.length, want = Math.floor(n * (FPS / SR));
console.log(`check.mjs: ${rows} rows from evaluateModel (${want} expected), ${ours.contours.length} from run.mjs; max |difference| ${worst.toExponential(2)}`);
process.exit(rows === want && ours.contours.length >= rows && worst <= 1e-6 ? 0 : 1);
