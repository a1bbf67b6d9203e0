/**
 * The email channel against a real SMTP server (smtp-server on 127.0.0.1, no TLS): subject, sender,
 * recipients, text and HTML bodies, authentication, and the mapping of SMTP failures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { ChannelConfigSchema, createChannel } from '../../server/alert/channels/index.js';
import type { ChannelConfigInput } from '../../server/alert/channels/index.js';
import { smtpError } from '../../server/alert/channels/email.js';
import type { Channel } from '../../server/alert/types.js';
import { ChannelError } from '../../server/alert/types.js';
import { manualClock } from '../../server/core/clock.js';
import { closedPort, header, makeAlert, makeNotification, mimePart, startSmtpSink } from './receivers.js';

function emailChannel(t: TestContext, over: Partial<ChannelConfigInput> & { port: number }): Channel {
  const config = ChannelConfigSchema.parse({
    kind: 'email',
    name: 'mail',
    host: '127.0.0.1',
    secure: false,
    ignoreTLS: true,
    from: 'Ringwatch <ringwatch@example.com>',
    to: ['ops@example.com', 'oncall@example.org'],
    timeoutMs: 5000,
    ...over,
  });
  const c = createChannel(config, { clock: manualClock() });
  t.after(() => c.close?.());
  return c;
}

describe('email channel', () => {
  test('delivers subject, from, to, a plain-text body and an HTML alternative', async (t) => {
    const sink = await startSmtpSink(t);
    const mail = emailChannel(t, { port: sink.port });
    await mail.send(makeNotification());
    const [msg] = await sink.received(1);
    assert.equal(msg!.mailFrom, 'ringwatch@example.com');
    assert.deepEqual(msg!.rcptTo, ['ops@example.com', 'oncall@example.org']);
    assert.equal(header(msg!.raw, 'Subject'), '[FIRING:2] PersistentInconsistency');
    assert.equal(header(msg!.raw, 'From'), 'Ringwatch <ringwatch@example.com>');
    assert.equal(header(msg!.raw, 'To'), 'ops@example.com, oncall@example.org');
    assert.equal(
      mimePart(msg!.raw, 'text/plain')?.trim(),
      [
        '[FIRING:2] PersistentInconsistency',
        '',
        '- warning node=n1: successor of n1 disagrees',
        '  https://ringwatch.example.com/nodes/n1',
        '- warning node=n2: successor of n2 disagrees',
        '  https://ringwatch.example.com/nodes/n2',
      ].join('\n'),
    );
    const html = mimePart(msg!.raw, 'text/html') ?? '';
    assert.match(html, /<h3>\[FIRING:2\] PersistentInconsistency<\/h3>/);
    assert.match(html, /<a href="https:\/\/ringwatch.example.com\/nodes\/n1">view in Ringwatch<\/a>/);
  });

  test('escapes HTML and logs in when credentials are configured', async (t) => {
    const sink = await startSmtpSink(t);
    const mail = emailChannel(t, { port: sink.port, auth: { user: 'rw', pass: 'smtp-password' } });
    const alert = makeAlert({ annotations: { summary: '<script>x</script>' }, state: 'resolved', endsAt: 1 });
    await mail.send(makeNotification({ status: 'resolved', alerts: [alert], externalUrl: '' }));
    const [msg] = await sink.received(1);
    assert.deepEqual(sink.logins, [{ username: 'rw', password: 'smtp-password' }]);
    assert.equal(header(msg!.raw, 'Subject'), '[RESOLVED:1] PersistentInconsistency');
    const html = mimePart(msg!.raw, 'text/html') ?? '';
    assert.ok(html.includes('&lt;script&gt;x&lt;/script&gt;'), html);
    assert.ok(!html.includes('<script>'), html);
  });

  test('an unreachable server is a retryable failure that names host and port only', async (t) => {
    const port = await closedPort();
    const mail = emailChannel(t, { port, auth: { user: 'rw', pass: 'smtp-password' } });
    try {
      await mail.send(makeNotification());
      assert.fail('expected a rejection');
    } catch (err) {
      assert.ok(err instanceof ChannelError, String(err));
      assert.equal(err.kind, 'refused');
      assert.equal(err.retryable, true);
      assert.ok(err.message.startsWith(`SMTP 127.0.0.1:${port}`), err.message);
      assert.ok(!err.message.includes('smtp-password'));
    }
  });

  test('SMTP replies: 5xx and bad credentials are final, 4xx retryable', () => {
    const cases: [unknown, string, boolean][] = [
      [Object.assign(new Error('550 no such user'), { code: 'EENVELOPE', responseCode: 550 }), 'smtp', false],
      [Object.assign(new Error('451 try later'), { code: 'EENVELOPE', responseCode: 451 }), 'smtp', true],
      [Object.assign(new Error('535 bad auth'), { code: 'EAUTH', responseCode: 535 }), 'smtp', false],
      [Object.assign(new Error('greeting never came'), { code: 'ETIMEDOUT' }), 'timeout', true],
      [Object.assign(new Error('aborted'), { code: 'EABORT' }), 'timeout', true],
    ];
    for (const [err, kind, retryable] of cases) {
      const e = smtpError(err, 'SMTP h:25', 1000);
      assert.deepEqual([e.kind, e.retryable], [kind, retryable], String(err));
    }
  });
});
