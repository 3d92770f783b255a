import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT_CANNOT_EXECUTE, EXIT_FAILURE, EXIT_NOT_FOUND, NetnsRunError, UsageError, oneLine } from '../../src/errors.js';

test('newlines become spaces: a name with a newline cannot forge a second line', () => {
  assert.is(oneLine('a\nb'), 'a b');
  assert.is(oneLine('a\r\nb'), 'a b');
  assert.is(oneLine('a\rb'), 'a b');
  assert.is(oneLine('a\n\n\nb'), 'a b');
  assert.is(oneLine('cannot start in "/tmp/x\nnetns-run: all fine"'), 'cannot start in "/tmp/x netns-run: all fine"');
});

test('C0 control characters and DEL become ?', () => {
  assert.is(oneLine('a\u001b[31mred'), 'a?[31mred');
  assert.is(oneLine('a\u0000b\u0007c\u0008d\u007fe'), 'a?b?c?d?e');
  assert.is(oneLine('\u000b\u000c'), '??');
  for (let code = 0; code < 0x20; code += 1) {
    const out = oneLine(`x${String.fromCharCode(code)}y`);
    assert.not.match(out, /[\u0000-\u0008\u000a-\u001f]/, `U+${code.toString(16).padStart(4, '0')}`);
  }
});

test('C1 control characters (NEL, CSI, ...) do not reach the terminal either', () => {
  // U+0085 is NEL, a line break in Unicode; U+009B is CSI, an escape sequence introducer.
  for (let code = 0x80; code <= 0x9f; code += 1) {
    const out = oneLine(`x${String.fromCharCode(code)}y`);
    assert.not.match(out, /[\u0080-\u009f]/, `U+${code.toString(16).padStart(4, '0')}`);
    assert.is(out.length, 3);
  }
});

test('printable text is left alone, tabs and non-ASCII included', () => {
  for (const text of ['plain text', 'tab\there', 'grüße, 名前, ☃', '"quoted" \'x\' $HOME', '']) assert.is(oneLine(text), text);
});

test('a string of every C0 character and DEL comes out as one line', () => {
  let all = '';
  for (let code = 0; code < 0x80; code += 1) all += String.fromCharCode(code);
  const out = oneLine(all);
  assert.not.match(out, /[\r\n\u000b\u000c\u001c-\u001e\u007f]/);
  assert.ok(out.includes(' !"#$%&'), 'printable ASCII kept');
});

test('NetnsRunError defaults to 125 and keeps another status given', () => {
  assert.is(new NetnsRunError('x').status, EXIT_FAILURE);
  assert.is(EXIT_FAILURE, 125);
  assert.is(new NetnsRunError('x', EXIT_CANNOT_EXECUTE).status, 126);
  assert.is(new NetnsRunError('x', EXIT_NOT_FOUND).status, 127);
  assert.instance(new NetnsRunError('x'), Error);
});

test('UsageError is a NetnsRunError with 125 that points to --help', () => {
  const error = new UsageError('missing COMMAND');
  assert.instance(error, NetnsRunError);
  assert.is(error.status, 125);
  assert.is(error.message, "missing COMMAND; see 'netns-run --help'");
});

test.run();
