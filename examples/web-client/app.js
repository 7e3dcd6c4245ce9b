// GoAssist web client: creates a session, streams the microphone, plays the agent, shows what happens.
// Protocol: docs/protocol.md. `window.goassist` exposes the client's state for tests and debugging.
import { AudioPlayer, startMicrophone } from './audio.js';
import { AvatarFace } from './avatar.js';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('state'),
  offline: $('offline-banner'),
  error: $('error'),
  apiKey: $('api-key'),
  connect: $('connect'),
  stop: $('stop'),
  interrupt: $('interrupt'),
  partial: $('partial'),
  transcript: $('transcript'),
  turns: $('turns').querySelector('tbody'),
};

const client = {
  state: 'idle',
  sessionId: null,
  transcripts: [],
  /** Partial hypotheses shown while the user spoke. */
  partials: [],
  agentTexts: [],
  turns: [],
  events: [],
  audioFrames: 0,
  audioBytes: 0,
  clears: 0,
  errors: [],
};
window.goassist = client;
/** Samples of agent audio that finished playing (for tests: the audio was played, not just received). */
client.played = () => (player ? player.samplesPlayed : 0);

let socket = null;
let mic = null;
let player = null;
let outputRate = 24000;
/** Where the first chunk after the latest `audio_start` starts playing (AudioContext time), for the face. */
let segment = { turnId: null, startsAt: null, pending: false };
const face = new AvatarFace($('face'), {
  getPlayback: () =>
    player && segment.startsAt !== null
      ? { turnId: segment.turnId, seconds: player.context.currentTime - segment.startsAt }
      : null,
});
face.start();
/** Current weight of a blendshape on the face (for tests: the face moves with the voice). */
client.faceWeight = (name) => face.w(name);
/** Send times of our audio by position in the input timeline (ms), to measure TTFA ourselves. */
let sentMs = 0;
const sendLog = [];
let speechEndSentAt = null;
let awaitingFirstAudio = null;
const agentLines = new Map();

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
  client.errors.push(message);
}

async function checkHealth() {
  try {
    const health = await (await fetch('/health')).json();
    ui.offline.hidden = !(health.components && health.components.llm && health.components.llm.offline);
    client.offlineLlm = !ui.offline.hidden;
  } catch {
    // The banner is informational; the session request reports real problems.
  }
}

async function createSession() {
  const headers = { 'content-type': 'application/json' };
  const key = ui.apiKey.value.trim();
  if (key) {
    headers.authorization = `Bearer ${key}`;
  } else {
    const csrf = await fetch('/csrf', { credentials: 'same-origin' });
    if (csrf.ok) headers['x-csrf-token'] = (await csrf.json()).csrf_token;
  }
  const response = await fetch('/sessions', {
    method: 'POST',
    headers,
    body: '{}',
    credentials: 'same-origin',
  });
  const body = await response.json();
  if (!response.ok)
    throw new Error(`${response.status} ${body.error ? `${body.error.code}: ${body.error.message}` : ''}`);
  return body;
}

function streamUrl(session) {
  const url = new URL(session.stream_url, location.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

async function connect() {
  ui.connect.disabled = true;
  ui.error.hidden = true;
  try {
    const session = await createSession();
    client.sessionId = session.session_id;
    player = new AudioPlayer();
    await player.resume();
    socket = new WebSocket(streamUrl(session), ['goassist.v1', `goassist.token.${session.token}`]);
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (message) =>
      typeof message.data === 'string' ? onEvent(JSON.parse(message.data)) : onAudio(message.data);
    socket.onclose = (event) => {
      setState('idle');
      if (event.code !== 1000) showError(`connection closed: ${event.code} ${event.reason}`);
      stopMic();
      ui.connect.disabled = false;
      ui.stop.disabled = true;
      ui.interrupt.disabled = true;
    };
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error('WebSocket failed to open'));
    });
    mic = await startMicrophone(sendPcm);
    socket.send(JSON.stringify({ type: 'start', sample_rate: mic.sampleRate, client: 'web-client' }));
    ui.stop.disabled = false;
    ui.interrupt.disabled = false;
  } catch (err) {
    showError(String(err.message || err));
    ui.connect.disabled = false;
  }
}

function sendPcm(pcm) {
  if (!socket || socket.readyState !== WebSocket.OPEN || !client.ready) return;
  socket.send(pcm.buffer);
  sentMs += (pcm.length * 1000) / mic.sampleRate;
  sendLog.push({ endMs: sentMs, at: performance.now() });
  if (sendLog.length > 2000) sendLog.splice(0, 1000);
}

/** When the chunk holding input position `ms` was sent. */
function sentAt(ms) {
  for (const entry of sendLog) if (entry.endMs >= ms) return entry.at;
  return null;
}

async function stopMic() {
  if (mic) await mic.stop();
  mic = null;
}

function stop() {
  if (socket) socket.close(1000, 'bye');
}

function setState(state) {
  client.state = state;
  ui.state.textContent = state;
  ui.state.dataset.state = state;
}

function addLine(kind, text, key) {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = text;
  ui.transcript.append(li);
  if (key !== undefined) agentLines.set(key, li);
  return li;
}

function onAudio(data) {
  client.audioFrames++;
  client.audioBytes += data.byteLength;
  if (awaitingFirstAudio !== null) {
    const turn = awaitingFirstAudio;
    awaitingFirstAudio = null;
    if (speechEndSentAt !== null) turnRow(turn).clientTtfa = Math.round(performance.now() - speechEndSentAt);
    speechEndSentAt = null;
    renderTurns();
  }
  const startsAt = player.play(new Int16Array(data), outputRate);
  if (segment.pending) segment = { ...segment, startsAt, pending: false };
}

function turnRow(id) {
  let row = client.turns.find((t) => t.turn_id === id);
  if (!row) {
    row = { turn_id: id };
    client.turns.push(row);
  }
  return row;
}

function onEvent(event) {
  client.events.push(event);
  face.handleEvent(event);
  switch (event.type) {
    case 'ready':
      outputRate = event.output_sample_rate;
      client.ready = true;
      break;
    case 'state':
      setState(event.state);
      break;
    case 'vad':
      if (event.event === 'speech_end') speechEndSentAt = sentAt(event.audio_ms);
      break;
    case 'transcript':
      if (event.final) {
        ui.partial.textContent = '';
        if (event.text) {
          client.transcripts.push(event.text);
          addLine('user', event.text);
        }
      } else {
        client.partials.push(event.text);
        ui.partial.textContent = event.text;
      }
      break;
    case 'agent_text':
      if (event.final) {
        client.agentTexts.push(event.text);
        const line = agentLines.get(event.turn_id) || addLine('agent', '', event.turn_id);
        line.textContent = event.text + (event.interrupted ? ' …' : '');
        line.classList.toggle('interrupted', event.interrupted);
      } else {
        const line = agentLines.get(event.turn_id) || addLine('agent', '', event.turn_id);
        line.textContent += event.delta;
      }
      break;
    case 'audio_start':
      segment = { turnId: event.turn_id, startsAt: null, pending: true };
      if (!event.resumed) awaitingFirstAudio = event.turn_id;
      break;
    case 'clear':
      client.clears++;
      player.clear();
      break;
    case 'turn_metrics':
      Object.assign(turnRow(event.turn_id), event);
      renderTurns();
      break;
    case 'error':
      showError(`${event.code}: ${event.message}`);
      break;
    default:
      break;
  }
}

function renderTurns() {
  ui.turns.replaceChildren(
    ...client.turns.map((t) => {
      const tr = document.createElement('tr');
      const cells = [
        t.turn_id,
        t.outcome,
        t.ttfa_ms,
        t.clientTtfa,
        t.asr_ms,
        t.llm_ttft_ms,
        t.tts_first_chunk_ms,
        t.barge_in_ms,
      ];
      for (const value of cells) {
        const td = document.createElement('td');
        td.textContent = value === undefined ? '' : String(value);
        tr.append(td);
      }
      return tr;
    }),
  );
}

ui.connect.addEventListener('click', connect);
ui.stop.addEventListener('click', stop);
ui.interrupt.addEventListener('click', () => socket && socket.send(JSON.stringify({ type: 'interrupt' })));
void checkHealth();
