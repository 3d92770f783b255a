// Assertions shared by the security suite: what "the attack failed" means,
// stated once. Each says what it saw when it fails.
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { rootMarks, rootOwnedIn, STRACE, type Attacker, type AttackResult } from './attack.js';
import { assertOneErrorLine, everythingOf } from './kernel.js';
import { type Result } from './netns-run.js';
import { skip } from './skip.js';

export function show(result: Result): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}; stdout: ${JSON.stringify(result.stdout.slice(0, 600))}; stderr: ${JSON.stringify(result.stderr.slice(0, 600))}`;
}

export function worked(result: Result, what: string): void {
  assert.is(result.code, 0, `${what}: ${show(result)}`);
}

/** netns-run's own refusal: STATUS, one line "netns-run: ...", nothing on stdout, no stack trace. */
export function refused(result: Result, what: string, status = 125): void {
  assertOneErrorLine(result, status, `${what} (${show(result)})`);
}

/** No payload ran as root, and root wrote nothing into the attacker's home. */
export function nothingGained(attacker: Attacker, what: string): void {
  const marks = rootMarks(attacker);
  assert.equal(marks, [], `${what}: the attacker's code ran as root: ${JSON.stringify(marks)}`);
  const owned = rootOwnedIn(attacker.home);
  assert.equal(owned, [], `${what}: root wrote into the attacker's home: ${owned.join(' ')}`);
}

export function noSecret(attacker: Attacker, result: Result, what: string): void {
  assert.not.ok(result.stdout.includes(attacker.secret) || result.stderr.includes(attacker.secret), `${what}: root's secret is in the output: ${show(result)}`);
}

export function nothingMade(name: string, what: string): void {
  assert.equal(everythingOf(name), [], `${what}: something was made for ${name}`);
}

/** What strace saw privileged processes do: nothing to the attacker's files, no unsafe variable for a root helper. */
export function auditClean(result: AttackResult, what: string, helpers: readonly string[] = []): void {
  const audit = result.audit;
  if (audit === undefined && !STRACE) {
    // The markers and the ownership checks still ran; only the syscall audit is missing.
    skip(`${what}: strace is not installed (apt-get install strace), so what root touched was not audited`);
  }
  assert.ok(audit !== undefined, `${what}: the run was not traced`);
  assert.equal(audit!.violations, [], `${what}: privileged processes touched the attacker's files or got unsafe variables`);
  // The trace must have seen the chain, or it proves nothing.
  for (const helper of helpers) {
    assert.ok(audit!.rootExecs.some((exec) => exec.endsWith(`/${helper}`)), `${what}: the trace never saw ${helper} run as root (${audit!.rootExecs.join(' ')}); ${show(result)}`);
  }
}

/** The non-empty lines of /etc/shadow: none may ever show up where the attacker can read it. */
export function shadowLines(): string[] {
  return readFileSync('/etc/shadow', 'utf8').split('\n').filter((line) => line.trim().length > 0);
}

export function noShadow(texts: readonly string[], what: string): void {
  const lines = shadowLines();
  for (const text of texts) {
    const leaked = lines.filter((line) => text.includes(line));
    assert.equal(leaked.length, 0, `${what}: /etc/shadow leaked (${leaked.length} lines)`);
  }
}

/** Field VALUES of a /proc/PID/status line such as "Uid:\t1 1 1 1". */
export function statusField(status: string, field: string): string[] {
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  return line === undefined ? [] : line.slice(field.length + 1).trim().split(/\s+/).filter(Boolean);
}
