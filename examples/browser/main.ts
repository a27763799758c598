/**
 * The browser example: draw a digit, see the proposer's prediction (run here by onnxruntime-web), the critic's
 * and the dissonance between them; label the drawing only when the dissonance is high. Labels go to the
 * server's feedback route through the uplink (offline queue in IndexedDB); the server retrains after a few,
 * and the page pulls and hot-swaps the new champion. Query parameters: `model` (default `digits-proposer`),
 * `critic` (a model the server publishes to run here as the critic; default `<model>-critic`, used only when
 * the server publishes it), `threshold` (default 0.2), `server` (default: this origin, proxied by Vite).
 */
import { randomId, totalVariation } from '@dissonance/core';
import { CacheApiModelCache, ChampionFollower, OnnxWebRuntime, Uplink } from '@dissonance/browser';
import { attachDrawPad, digitFeatures, paintFeatures } from './draw-pad.js';

const params = new URLSearchParams(location.search);
const MODEL = params.get('model') ?? 'digits-proposer';
const CRITIC = params.get('critic') ?? `${MODEL}-critic`;
const THRESHOLD = Number(params.get('threshold') ?? '0.2');
const SERVER = params.get('server') ?? location.origin;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const log = (line: string): void => {
  const el = $('log');
  el.textContent = `${new Date().toLocaleTimeString()} ${line}\n${el.textContent ?? ''}`;
};

/** The development token (the Vite dev server reads the file `dissonance serve --dev-token-file` wrote). */
let token: Promise<string> | undefined;
const getToken = (): Promise<string> => {
  token ??= fetch('/dev-token').then(async (r) => {
    if (!r.ok) {
      token = undefined;
      throw new Error(`no dev token (${r.status}): is dissonance serve running?`);
    }
    return (await r.text()).trim();
  });
  return token;
};

const runtime = new OnnxWebRuntime({ wasmPaths: '/ort/', cache: new CacheApiModelCache('dissonance-example') });
const proposer = new ChampionFollower(runtime, { url: SERVER, name: MODEL, token: getToken });
let critic: ChampionFollower | undefined = new ChampionFollower(runtime, {
  url: SERVER,
  name: CRITIC,
  token: getToken,
});

let current: { id: string; features: number[]; dissonance: number } | undefined;
let sequence = 0;

function bars(id: string, probabilities: ArrayLike<number>): void {
  const el = $(id);
  el.replaceChildren();
  let top = 0;
  for (let k = 1; k < probabilities.length; k++) if (probabilities[k]! > probabilities[top]!) top = k;
  for (let k = 0; k < probabilities.length; k++) {
    const p = probabilities[k]!;
    const label = document.createElement('span');
    label.textContent = String(k);
    const bar = document.createElement('div');
    bar.className = k === top ? 'bar top' : 'bar';
    const fill = document.createElement('div');
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    bar.append(fill);
    const value = document.createElement('span');
    value.textContent = p.toFixed(3);
    el.append(label, bar, value);
  }
}

function argmax(p: ArrayLike<number>): number {
  let top = 0;
  for (let k = 1; k < p.length; k++) if (p[k]! > p[top]!) top = k;
  return top;
}

/** Runs the models on the drawing and shows what they say. */
async function predict(): Promise<void> {
  const features = digitFeatures($<HTMLCanvasElement>('pad'));
  paintFeatures($<HTMLCanvasElement>('preview'), features);
  const model = proposer.current;
  if (features === undefined || model === undefined) return;
  const mine = ++sequence;
  const x = new Float32Array(features);
  const p = await model.run(x, 1);
  const server = await fetch(`${SERVER}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` },
    body: JSON.stringify({ rows: [features] }),
  }).then(async (r) =>
    r.ok
      ? ((await r.json()) as { model: { version: string }; probabilities: number[][]; dissonance: number[] })
      : undefined,
  );
  let dissonance: number;
  let where: string;
  const local = critic?.current;
  if (local !== undefined) {
    const q = await local.run(x, 1);
    bars('critic-bars', q);
    $('critic-top').textContent = String(argmax(q));
    dissonance = totalVariation.measure(p, q, 1, model.classes)[0]!;
    where = `total variation, computed in this browser (${CRITIC} v${local.version})`;
  } else if (server !== undefined) {
    dissonance = server.dissonance[0]!;
    where = `total variation between the server's champion v${server.model.version} and its critic`;
    const top = argmax(server.probabilities[0]!);
    $('critic-top').textContent = '';
    $('critic-note').textContent =
      `The server does not publish its critic (${CRITIC}), so the critic runs there: POST /v1/predict returns the ` +
      `dissonance between its champion and its critic. The server's champion (v${server.model.version}) says ${top} ` +
      `(p = ${server.probabilities[0]![top]!.toFixed(3)}).`;
  } else {
    log('the server did not answer /v1/predict');
    return;
  }
  if (mine !== sequence) return; // a newer stroke is being handled
  bars('proposer-bars', p);
  $('proposer-top').textContent = String(argmax(p));
  $('proposer-top').title = `p = ${p[argmax(p)]!.toFixed(3)}`;
  const high = dissonance >= THRESHOLD;
  $('dissonance').textContent = dissonance.toFixed(3);
  $('dissonance').className = `big ${high ? 'high' : 'low'}`;
  $('dissonance-note').textContent = `${where}; ask for a label at ≥ ${THRESHOLD}`;
  current = { id: `drawing-${randomId()}`, features, dissonance };
  $('label-prompt').hidden = !high;
  $('prompt-title').textContent =
    `Dissonance ${dissonance.toFixed(3)} reaches the threshold ${THRESHOLD}: which digit did you draw?`;
  document.body.dataset.state = high ? 'asking' : 'agreed';
}

async function label(digit: number): Promise<void> {
  if (current === undefined) return;
  const item = { ...current, label: digit };
  current = undefined;
  $('label-prompt').hidden = true;
  document.body.dataset.state = 'labelled';
  const added = await uplink.enqueue([item]);
  log(`queued ${item.id} as ${digit} (d = ${item.dissonance.toFixed(3)})${added === 0 ? ' — already queued' : ''}`);
  await showUplink();
}

async function showUplink(): Promise<void> {
  const s = uplink.stats;
  $('uplink-status').textContent =
    `pending ${await uplink.pending()} · sent ${s.sent} · accepted ${s.accepted} · duplicates ${s.duplicates} · quarantined ${s.quarantined} · retries ${s.retries}`;
}

const pad = attachDrawPad(
  $<HTMLCanvasElement>('pad'),
  () => void predict().catch((error: unknown) => log(String(error))),
);
$('clear').addEventListener('click', () => {
  pad.clear();
  paintFeatures($<HTMLCanvasElement>('preview'), undefined);
  $('label-prompt').hidden = true;
  delete document.body.dataset.state;
});
for (let digit = 0; digit <= 9; digit++) {
  const button = document.createElement('button');
  button.textContent = String(digit);
  button.dataset.label = String(digit);
  button.addEventListener('click', () => void label(digit));
  $('label-buttons').append(button);
}

const uplink = await Uplink.open({
  url: SERVER,
  token: getToken,
  dbName: 'dissonance-example-uplink',
  minDissonance: 0,
  onEvent: (event) => {
    if (event.type === 'sent')
      log(
        `sent ${event.ids.length}: accepted ${event.accepted}, duplicates ${event.duplicates}, quarantined ${event.quarantined}`,
      );
    else if (event.type === 'retry') log(`send failed (${event.reason}); retry in ${event.delayMs} ms`);
    else if (event.type === 'rejected') log(`rejected by the server: ${event.reason}`);
    void showUplink();
  },
});
uplink.start();
await showUplink();

proposer.onSwap((model, champion, previous) => {
  $('model-version').textContent = `${MODEL} v${champion.version}`;
  $('model-version').dataset.version = champion.version;
  $('model-note').textContent =
    previous === undefined ? '' : `updated from v${previous.version} after a retrain on the server`;
  $('runtime').textContent = `proposer on ${model.providerReason}`;
  if (previous !== undefined) log(`hot-swapped the proposer: v${previous.version} → v${champion.version}`);
  void predict().catch(() => undefined);
});
try {
  await proposer.refresh();
} catch (error) {
  log(`model pull failed (retrying every 2 s): ${String(error)}`);
}
proposer.start(2_000, (error) => log(`model pull failed: ${String(error)}`));
try {
  await critic.refresh();
  critic.start(5_000);
  $('critic-title').textContent = `Critic — in this browser (${CRITIC})`;
} catch {
  critic = undefined;
  $('critic-title').textContent = 'Critic — on the server';
  $('critic-note').textContent = `The server does not publish its critic (${CRITIC}): the critic runs there.`;
}
document.body.dataset.ready = 'true';
