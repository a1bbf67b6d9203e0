/**
 * The Admin view's API tokens (list, create — the secret shown once with a copy button — and revoke)
 * and audit log (newest first, older pages on demand).
 */
import { h, replace } from '../dom.js';
import { dateTime } from '../format.js';
import type { Role } from '../types.js';
import { empty, failure, loading } from '../ui.js';
import type { AuditEntry, Endpoints, TokenInfo } from './endpoints.js';
import { confirmButton, copyButton, errorMessage, field, notice, select, table } from './widgets.js';

export const ROLE_OPTIONS: readonly (readonly [Role, string])[] = [
  ['viewer', 'Viewer (read only)'],
  ['operator', 'Operator (crawl, pull logs, ack, silence)'],
  ['admin', 'Admin (users, tokens, audit)'],
];

const EXPIRY: readonly (readonly [string, string])[] = [
  ['', 'Never'],
  [String(7 * 86_400_000), 'In 7 days'],
  [String(30 * 86_400_000), 'In 30 days'],
  [String(90 * 86_400_000), 'In 90 days'],
  [String(365 * 86_400_000), 'In a year'],
];

function tokenState(t: TokenInfo, now: number): 'active' | 'revoked' | 'expired' {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  return 'active';
}

/** The tokens section: a create form, the secret of a new token (once), the list. */
export function createTokensSection(deps: {
  ep: Endpoints;
  signal: AbortSignal;
  now: () => number;
  changed: () => void;
}): HTMLElement {
  const { ep, signal } = deps;
  const listBox = h('div', {}, loading('Loading tokens…'));
  const secretBox = h('div', { id: 'token-secret-box', 'aria-live': 'polite' });
  const msg = h('div', { 'aria-live': 'polite' });
  const name = h('input', {
    type: 'text',
    id: 'token-name',
    required: true,
    maxlength: 128,
    autocomplete: 'off',
  });
  const role = select('token-role', ROLE_OPTIONS, 'viewer');
  const expiry = select('token-expiry', EXPIRY, '');
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', id: 'token-create' },
    'Create token',
  );
  const form = h(
    'form',
    { class: 'inline-form', id: 'token-form', 'aria-label': 'Create an API token', novalidate: true },
    field('Name', name, 'What uses it, e.g. “grafana”'),
    field('Role', role),
    field('Expires', expiry),
    h('div', { class: 'field field-submit' }, submit),
  );

  function showSecret(info: TokenInfo, secret: string) {
    const code = h('code', { class: 'secret', id: 'token-secret', tabindex: '0' }, secret);
    const done = h('button', { type: 'button', class: 'btn', id: 'token-secret-done' }, 'I have copied it');
    done.addEventListener('click', () => secretBox.replaceChildren());
    replace(
      secretBox,
      h(
        'div',
        { class: 'secret-panel', role: 'alert' },
        h('strong', {}, `Token “${info.name}” created. Copy its secret now:`),
        h(
          'p',
          { class: 'warn-text' },
          'It is shown only this once. Ringwatch keeps only a hash and cannot show it again.',
        ),
        h('div', { class: 'secret-row' }, code, copyButton(secret, 'Copy secret', { id: 'token-copy' })),
        done,
      ),
    );
    code.focus();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = name.value.trim();
    if (!n) {
      replace(msg, notice('error', 'Give the token a name.'));
      name.focus();
      return;
    }
    submit.disabled = true;
    ep.createToken({
      name: n,
      role: role.value as Role,
      expiresAt: expiry.value ? deps.now() + Number(expiry.value) : null,
    }).then(
      ({ token, secret }) => {
        submit.disabled = false;
        form.reset();
        msg.replaceChildren();
        showSecret(token, secret);
        void load();
        deps.changed();
      },
      (err: unknown) => {
        submit.disabled = false;
        replace(msg, notice('error', errorMessage(err)));
      },
    );
  });

  async function load() {
    try {
      const items: TokenInfo[] = [];
      let cursor: string | null = null;
      do {
        const page = await ep.tokens(cursor, signal);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && items.length < 1000);
      if (signal.aborted) return;
      if (items.length === 0) {
        replace(listBox, empty('No API tokens', 'Scripts and integrations sign in with a token.'));
        return;
      }
      const now = deps.now();
      replace(
        listBox,
        table(
          {
            id: 'tokens-table',
            caption: 'API tokens',
            columns: [
              { label: 'Name' },
              { label: 'Prefix' },
              { label: 'Role' },
              { label: 'Created' },
              { label: 'Expires' },
              { label: 'Last used' },
              { label: 'State' },
              { label: 'Actions', hidden: true },
            ],
          },
          items
            .slice()
            .reverse()
            .map((t) => {
              const st = tokenState(t, now);
              return h(
                'tr',
                { 'data-token': t.id, class: st === 'active' ? null : 'inactive' },
                h('th', { scope: 'row' }, t.name),
                h('td', { class: 'mono' }, `${t.prefix}…`),
                h('td', {}, t.role),
                h('td', {}, dateTime(t.createdAt)),
                h('td', {}, t.expiresAt === null ? 'never' : dateTime(t.expiresAt)),
                h('td', {}, t.lastUsedAt === null ? 'never' : dateTime(t.lastUsedAt)),
                h('td', {}, h('span', { class: `tag tag-${st}` }, st)),
                h(
                  'td',
                  {},
                  st === 'revoked'
                    ? null
                    : confirmButton(
                        'Revoke',
                        'Revoke now?',
                        () => {
                          ep.revokeToken(t.id).then(
                            () => {
                              void load();
                              deps.changed();
                            },
                            (err: unknown) => replace(msg, notice('error', errorMessage(err))),
                          );
                        },
                        { 'aria-label': `Revoke token ${t.name}`, id: `revoke-token-${t.id}` },
                      ),
                ),
              );
            }),
        ).wrap,
      );
    } catch (err) {
      if (!signal.aborted)
        replace(
          listBox,
          failure(err, () => void load()),
        );
    }
  }
  void load();
  return h('div', {}, form, msg, secretBox, listBox);
}

function detailText(d: unknown): string {
  if (d === null || d === undefined) return '';
  if (typeof d === 'string') return d;
  if (typeof d !== 'object') return JSON.stringify(d);
  return Object.entries(d as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/** The audit log: newest first, "Load older" for the next page. */
export function createAuditSection(deps: { ep: Endpoints; signal: AbortSignal }): {
  el: HTMLElement;
  reload(): void;
} {
  const { ep, signal } = deps;
  const box = h('div', {}, loading('Loading the audit log…'));
  const more = h(
    'button',
    { type: 'button', class: 'btn', id: 'audit-more', hidden: true },
    'Load older entries',
  );
  let cursor: string | null = null;
  let body: HTMLTableSectionElement | null = null;
  const row = (e: AuditEntry) =>
    h(
      'tr',
      { 'data-action': e.action },
      h('td', {}, dateTime(e.at)),
      h('td', {}, e.actor),
      h('td', {}, h('code', {}, e.action)),
      h('td', { class: 'wrap-cell' }, e.target ?? '—'),
      h('td', { class: 'wrap-cell mono small' }, detailText(e.detail)),
    );
  async function load(append: boolean) {
    more.disabled = true;
    try {
      const page = await ep.audit(append ? cursor : null, signal);
      if (signal.aborted) return;
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      if (append && body) body.append(...page.items.map(row));
      else if (page.items.length === 0) replace(box, empty('Nothing audited yet'));
      else {
        const t = table(
          {
            id: 'audit-table',
            caption: 'Audit log, newest first',
            columns: [
              { label: 'When' },
              { label: 'Who' },
              { label: 'Action' },
              { label: 'Target' },
              { label: 'Detail' },
            ],
          },
          page.items.map(row),
        );
        body = t.body;
        replace(box, t.wrap);
      }
    } catch (err) {
      if (!signal.aborted)
        replace(
          box,
          failure(err, () => void load(false)),
        );
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void load(true));
  void load(false);
  return { el: h('div', {}, box, more), reload: () => void load(false) };
}
