// Who may do what, from /etc/netns-run.conf. Parsing and deciding are pure
// (unit-tested without root); reading the file, with sudo's ownership rules,
// is loadPolicy(). Root may always do everything and needs no file.

import { dirname } from 'node:path';
import type { Caller } from './caller.js';
import { failed, tryHelper } from './helpers.js';
import { NetnsRunError } from './errors.js';
import { readTrusted } from './trust.js';

export const POLICY_FILE = '/etc/netns-run.conf';

/** A user by name, a group by name (%group), or everyone (ALL). */
export type Who = { readonly kind: 'user'; readonly name: string } | { readonly kind: 'group'; readonly name: string } | { readonly kind: 'all' };

export interface Rule {
  readonly who: Who;
  /** Namespace names, or '*' for all. */
  readonly namespaces: readonly string[] | '*';
  /** May also make the namespace on first use. */
  readonly create: boolean;
  readonly line: number;
}

export type Elevate = 'sudo' | 'pkexec' | 'none';

export interface Policy {
  readonly rules: readonly Rule[];
  /** How netns-run run by a plain user gets root. */
  readonly elevate: Elevate;
  /** 'keep-env' on the elevate line: a self-elevated run hands the user's own environment to the command (see elevate.ts). */
  readonly keepEnv: boolean;
}

export const EMPTY_POLICY: Policy = { rules: [], elevate: 'sudo', keepEnv: false };

const WORD = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;
const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * One rule a line, in the manner of sudoers:
 *   allow USER|%GROUP|ALL  NAME[,NAME...]|*  [create]
 *   elevate sudo|pkexec [keep-env] | elevate none
 * '#' starts a comment. Any line that does not parse makes the whole file
 * invalid: a policy is never half applied.
 */
export function parsePolicy(text: string, file = POLICY_FILE): Policy {
  const rules: Rule[] = [];
  let elevate: Elevate = 'sudo';
  let keepEnv = false;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    const fail = (why: string) => new NetnsRunError(`${file} line ${line}: ${why}; fix it (root can still run netns-run)`);
    const [verb, ...args] = words;
    if (verb === 'elevate') {
      const keep = args.length === 2 && args[1] === 'keep-env' && args[0] !== 'none';
      if ((args.length !== 1 && !keep) || !['sudo', 'pkexec', 'none'].includes(args[0]!)) {
        throw fail("'elevate' takes one of sudo, pkexec, none, and sudo or pkexec may be followed by keep-env");
      }
      elevate = args[0] as Elevate;
      keepEnv = keep;
      return;
    }
    if (verb !== 'allow') throw fail(`unknown word ${JSON.stringify(verb)}: a line starts with 'allow' or 'elevate'`);
    if (args.length < 2 || args.length > 3 || (args.length === 3 && args[2] !== 'create')) {
      throw fail("expected 'allow WHO NAMESPACES [create]'");
    }
    const [whoWord, namesWord] = args as [string, string];
    let who: Who;
    if (whoWord === 'ALL') who = { kind: 'all' };
    else if (whoWord.startsWith('%') && WORD.test(whoWord.slice(1))) who = { kind: 'group', name: whoWord.slice(1) };
    else if (WORD.test(whoWord)) who = { kind: 'user', name: whoWord };
    else throw fail(`${JSON.stringify(whoWord)} is not a user, %group or ALL`);
    let namespaces: readonly string[] | '*';
    if (namesWord === '*') namespaces = '*';
    else {
      namespaces = namesWord.split(',');
      const bad = namespaces.find((name) => !NAMESPACE.test(name));
      if (bad !== undefined) throw fail(`${JSON.stringify(bad)} is not a namespace name`);
    }
    rules.push({ who, namespaces, create: args[2] === 'create', line });
  });
  return { rules, elevate, keepEnv };
}

/** The caller as rules see them; group membership is asked only when a rule names a group. */
export interface Member {
  readonly user: string;
  readonly uid: number;
  inGroup(group: string): boolean;
}

export type Action = 'use' | 'create';

/** Root may do anything; anyone else only what a rule grants. */
export function may(policy: Policy, member: Member, name: string, action: Action): boolean {
  if (member.uid === 0) return true;
  return policy.rules.some((rule) => {
    const nameMatches = rule.namespaces === '*' || rule.namespaces.includes(name);
    if (!nameMatches || (action === 'create' && !rule.create)) return false;
    return (
      rule.who.kind === 'all' || (rule.who.kind === 'user' ? rule.who.name === member.user : member.inGroup(rule.who.name))
    );
  });
}

const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Like sudo with sudoers: a file (or the directory it is in) that anyone but
 * root could have written is not trusted at all (src/trust.ts). A missing
 * file is the empty policy: root alone may use netns-run.
 */
export function loadPolicy(file = POLICY_FILE): Policy {
  const bytes = readTrusted(file, { readers: 'any', maxBytes: MAX_POLICY_BYTES, directories: [dirname(file)] });
  return bytes === undefined ? EMPTY_POLICY : parsePolicy(bytes.toString('utf8'), file);
}

/** The refusal a caller gets, naming what they lack and who can grant it. */
export function refusal(caller: Caller, name: string, action: Action): NetnsRunError {
  if (action === 'create') return new CreateRefused(caller.user, name);
  return new NetnsRunError(`${caller.user} may not use the namespace ${name}: no rule in ${POLICY_FILE} allows it; ask an administrator (see SECURITY.md)`);
}

/**
 * A caller who may use NAME but not create it: raised when the namespace
 * itself would have to be made, or, where it stands but its network (a
 * tunnel, a link) is not made yet, as forNetwork() says it: making that
 * network is creating too, and "the new namespace" would be untrue.
 */
export class CreateRefused extends NetnsRunError {
  readonly #user: string;
  readonly #name: string;

  constructor(user: string, name: string) {
    super(`${user} may not make the new namespace ${name}: no rule in ${POLICY_FILE} allows it; ask an administrator (see SECURITY.md)`);
    this.#user = user;
    this.#name = name;
  }

  forNetwork(): NetnsRunError {
    return new NetnsRunError(
      `${this.#user} may not make the network of namespace ${this.#name} (its tunnels or links are not up yet): no rule in ${POLICY_FILE} allows 'create'; ` +
        `ask an administrator to run 'netns-run --ensure ${this.#name}' or for a create rule (see SECURITY.md)`,
    );
  }
}

/**
 * Membership by gid, the kernel's notion: each group a rule names is looked
 * up in NSS (getent, so LDAP and the like count) and checked against the
 * caller's primary and supplementary gids. Only callers other than root get
 * here, and only groups the policy names are looked up.
 */
export async function memberOf(caller: Pick<Caller, 'user' | 'uid' | 'gid' | 'groups'>, policy: Policy, getent: string): Promise<Member> {
  const named = [...new Set(policy.rules.flatMap((rule) => (rule.who.kind === 'group' ? [rule.who.name] : [])))];
  const groups = new Set<string>();
  if (named.length > 0) {
    for (const group of named) {
      const result = tryHelper(getent, ['group', group]);
      const gid = Number(result.stdout.split(':')[2]);
      if (!failed(result) && Number.isInteger(gid) && (gid === caller.gid || caller.groups.includes(gid))) groups.add(group);
    }
  }
  return { user: caller.user, uid: caller.uid, inGroup: (group) => groups.has(group) };
}
