// Issue #3, point 4: the target's standard streams are the caller's own file
// descriptors (the same pipes, not copies made through Node), a large stream
// passes byte-exact, and descriptors the caller opened beyond 2 (`3>file`,
// `5<file`) reach the target open. The caller here is sh, as in a script:
// it notes what its descriptors point to and execs netns-run, so netns-run
// starts with exactly those.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { Suite, procStat, start } from '../support/conformance.js';

const suite = new Suite('file descriptors');
const check = suite.tests();

check('the target\'s descriptors are exactly the caller\'s: its own pipes as 0, 1 and 2, nothing added', async () => {
  const ws = suite.ready();
  const { argv, log } = suite.probe(['-e', '0']);
  // sh waits on its stdin with its descriptors as it got them; the test lists them there, then lets it exec netns-run.
  const run = start('sh', ['-c', 'read go; exec netns-run "$@"', 'sh', suite.name, '--', ...argv], { env: ws.env, cwd: ws.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  await waitUntil(() => procStat(run.pid)?.comm === 'sh' && procStat(run.pid)?.state === 'S', 'sh to wait on its stdin');
  const callers = descriptorsOf(run.pid);
  run.child.stdin!.end('go\n');
  const ended = await run.exited;
  assert.is(ended.code, 0, run.stderr());
  for (const fd of [0, 1, 2]) assert.match(callers.get(fd) ?? '', /^(pipe|socket):\[\d+\]$/, `the caller's descriptor ${fd}`);
  const sorted = (m: Map<number, string>) => [...m].sort(([a], [b]) => a - b);
  assert.equal(sorted(log.fds()), sorted(callers), 'the target\'s descriptors against the caller\'s');
});

function descriptorsOf(pid: number): Map<number, string> {
  return new Map(readdirSync(`/proc/${pid}/fd`).map((fd) => [Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`)] as const));
}

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

check('256 MiB of random bytes through `netns-run NAME -- cat` come out byte-exact', async () => {
  const ws = suite.ready();
  const fifo = ws.fifo('copy');
  const [sent, received] = [ws.path('sent.sha'), ws.path('received.sha')];
  // One stream, hashed on both sides of netns-run at once (tee into a fifo), never stored.
  const script = [
    `sha256sum <${fifo} >${sent} &`,
    `head -c 268435456 /dev/urandom | tee ${fifo} | netns-run "$@" | sha256sum >${received}`,
    'wait $!',
  ].join('\n');
  const run = start('sh', ['-c', script, 'sh', suite.name, '--', 'cat'], { env: ws.env, cwd: ws.dir });
  const ended = await run.exited;
  assert.is(ended.code, 0, run.stderr());
  assert.is(run.stderr(), '');
  const hash = (path: string) => readFileSync(path, 'utf8').split(' ')[0];
  assert.match(hash(sent)!, /^[0-9a-f]{64}$/);
  assert.is(hash(received), hash(sent), 'the bytes out of netns-run differ from the bytes in');
});

check('descriptors beyond 2 reach the target: it writes to 3>file and reads 5<file', async () => {
  const ws = suite.ready();
  const [output, input] = [ws.path('fd3-out'), ws.path('fd5-in')];
  writeFileSync(input, 'from descriptor five\n');
  writeFileSync(output, '');
  const { argv, log } = suite.probe(['-w', '3:to descriptor three', '-r', '5', '-e', '0']);
  const run = start('sh', ['-c', `exec netns-run "$@" 3>${output} 5<${input}`, 'sh', suite.name, '--', ...argv], { env: ws.env, cwd: ws.dir });
  const ended = await run.exited;
  assert.is(ended.code, 0, run.stderr());
  const fds = log.fds();
  assert.is(fds.get(3), output, `descriptor 3 of the target; it has ${JSON.stringify([...fds])}`);
  assert.is(fds.get(5), input, `descriptor 5 of the target; it has ${JSON.stringify([...fds])}`);
  assert.is(readFileSync(output, 'utf8'), 'to descriptor three\n', 'what the target wrote to 3');
  assert.is(log.value('read'), '5 from descriptor five', 'what the target read from 5');
});

test.run();
