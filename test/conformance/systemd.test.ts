// Issue #3, point 5: what systemd hands a service passes through netns-run
// to the target: socket activation (LISTEN_FDS sockets on descriptors 3 and
// up, LISTEN_PID naming the target's PID), NOTIFY_SOCKET (the target's
// READY=1 arrives from the main PID systemd knows: the PID it started), and
// INVOCATION_ID and the like unchanged. The caller plays systemd: sh with
// the sockets on 3 and 4 sets LISTEN_PID=$$ and execs netns-run, as
// systemd's child sets it to its own PID before it execs ExecStart=.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { ProbeLog, Suite, start, startNetnsRun } from '../support/conformance.js';

const suite = new Suite('systemd');
const check = suite.tests();

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

function fdOf(server: Server): number {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no descriptor for the listening socket');
  return fd;
}

check('socket activation: LISTEN_FDS=2 with the sockets on 3 and 4 reach the target, and LISTEN_PID is the target\'s PID', async () => {
  const ws = suite.ready();
  const servers = await Promise.all([listen(ws.path('first.sock')), listen(ws.path('second.sock'))]);
  try {
    const fds = servers.map(fdOf);
    const sockets = fds.map((fd) => readlinkSync(`/proc/self/fd/${fd}`));
    const { argv, log } = suite.probe(['-e', '0']);
    const script = 'export LISTEN_FDS=2 LISTEN_PID=$$ LISTEN_FDNAMES=first:second WATCHDOG_PID=$$ WATCHDOG_USEC=30000000; exec netns-run "$@"';
    const run = start('sh', ['-c', script, 'sh', suite.name, '--', ...argv], { env: ws.env, cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe', fds[0]!, fds[1]!] });
    const ended = await run.exited;
    assert.is(ended.code, 0, run.stderr());
    const got = log.fds();
    assert.equal([got.get(3), got.get(4)], sockets, `the target's descriptors 3 and 4; it has ${JSON.stringify([...got])}`);
    assert.is(log.env('LISTEN_FDS'), '2');
    assert.is(log.env('LISTEN_FDNAMES'), 'first:second');
    assert.is(log.env('LISTEN_PID'), String(log.pid), 'LISTEN_PID does not name the target: sd_listen_fds() would ignore the sockets');
    assert.is(log.env('WATCHDOG_PID'), String(log.pid), 'WATCHDOG_PID does not name the target');
    assert.is(log.env('WATCHDOG_USEC'), '30000000');
  } finally {
    for (const server of servers) server.close();
  }
});

check('NOTIFY_SOCKET: the target\'s READY=1 reaches the socket, sent (the kernel says) by the PID the caller started', async () => {
  const ws = suite.ready();
  const socket = ws.path('notify.sock');
  const heard = new ProbeLog(ws.path('notify.log'));
  const listener = start(ws.probe, ['-L', socket, heard.path], { env: ws.env, cwd: ws.dir });
  try {
    await heard.waitFor((l) => l.lines().includes('listening'), 'the notify socket to listen');
    const { argv, log } = suite.probe(['-n', '-e', '0']);
    const run = startNetnsRun(ws, [suite.name, '--', ...argv], { env: { ...ws.env, NOTIFY_SOCKET: socket } });
    const ended = await run.exited;
    assert.is(ended.code, 0, run.stderr());
    assert.is(log.env('NOTIFY_SOCKET'), socket);
    assert.ok(log.lines().includes('notified'), `the probe could not send: ${log.values('error').join('; ')}`);
    await heard.waitFor((l) => l.value('message') !== undefined, 'the notification');
    const [pid, uid] = (heard.value('from') ?? '').split(' ').map(Number);
    assert.is(pid, run.pid, `READY=1 came from PID ${pid}, systemd's main PID would be ${run.pid}`);
    assert.is(uid, 0);
    assert.is(heard.value('message'), `READY=1 MAINPID=${run.pid}`);
    await listener.exited;
  } finally {
    listener.child.kill('SIGKILL');
  }
});

check('INVOCATION_ID, JOURNAL_STREAM and the like reach the target unchanged', async () => {
  const ws = suite.ready();
  const env = { ...ws.env, INVOCATION_ID: '0123456789abcdef0123456789abcdef', JOURNAL_STREAM: '8:123456', WATCHDOG_USEC: '5000000' };
  const { argv, log } = suite.probe(['-e', '0']);
  const run = startNetnsRun(ws, [suite.name, '--', ...argv], { env });
  const ended = await run.exited;
  assert.is(ended.code, 0, run.stderr());
  for (const name of ['INVOCATION_ID', 'JOURNAL_STREAM', 'WATCHDOG_USEC'] as const) assert.is(log.env(name), env[name], name);
  assert.is(log.env('LISTEN_FDS'), undefined, 'LISTEN_FDS appeared from nowhere');
});

test.run();
