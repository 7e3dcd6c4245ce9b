// A stand-in pod process for node agent tests: serves /readyz and /env on $PORT, records the signals it
// gets in $SIGNAL_LOG, and with IGNORE_SIGTERM=1 keeps running (and ticking) after SIGTERM.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { setInterval, setTimeout } from 'node:timers';

const port = Number(process.env.PORT ?? '8080');
const signalLog = process.env.SIGNAL_LOG;
const record = (line) => {
  if (signalLog) appendFileSync(signalLog, `${line}\n`);
};

const server = createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  } else if (req.url === '/livez') {
    // LIVEZ_FAIL_AFTER_MS: /livez turns 500 after that long (to test liveness restarts).
    const failAfter = Number(process.env.LIVEZ_FAIL_AFTER_MS ?? 'Infinity');
    res.writeHead(process.uptime() * 1000 > failAfter ? 500 : 200);
    res.end();
  } else if (req.url === '/env') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(process.env));
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(port, '0.0.0.0', () => record(`listening ${process.pid}`));

let terminating = false;
setInterval(() => {
  if (terminating) record('tick');
}, 100);

// EXIT_AFTER_MS: exit with code 3 on its own after that long (to test restarts).
if (process.env.EXIT_AFTER_MS) setTimeout(() => process.exit(3), Number(process.env.EXIT_AFTER_MS));

process.on('SIGTERM', () => {
  record('SIGTERM');
  terminating = true;
  if (process.env.IGNORE_SIGTERM === '1') return;
  server.close(() => process.exit(0));
});
