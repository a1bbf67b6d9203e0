/**
 * Admin view (`#/admin`, admin role; hidden from the navigation of others): users (create with a role,
 * change role, disable / enable, delete; the password rules shown), API tokens (create → the secret
 * shown once, revoke) and the audit log.
 */
import { h, replace } from '../dom.js';
import { count, dateTime } from '../format.js';
import type { Role, User } from '../types.js';
import { empty, failure, loading } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import { ROLE_OPTIONS, createAuditSection, createTokensSection } from './admin-tokens.js';
import { PASSWORD_RULES, endpoints } from './endpoints.js';
import { confirmButton, errorMessage, field, notice, panel, select, table } from './widgets.js';

const PASSWORD_HINT = `At least ${PASSWORD_RULES.minLength} characters and at most ${PASSWORD_RULES.maxBytes} bytes (a long passphrase is best).`;
const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Why a new password is refused, or null (the server's rule, checked before sending). */
export function passwordProblem(p: string): string | null {
  if (p.length < PASSWORD_RULES.minLength)
    return `The password needs at least ${PASSWORD_RULES.minLength} characters.`;
  if (new TextEncoder().encode(p).length > PASSWORD_RULES.maxBytes)
    return `The password may have at most ${PASSWORD_RULES.maxBytes} bytes.`;
  return null;
}

const USER_ERRORS = {
  conflict: 'Refused: that would leave no enabled admin, or the user name is taken.',
} as const;

function mount(host: HTMLElement, ctx: ViewContext): ViewHandle {
  const ep = endpoints(ctx.api);
  const myId = ctx.me.user?.id ?? null;
  const usersBox = h('div', {}, loading('Loading users…'));
  const usersMsg = h('div', { 'aria-live': 'polite', id: 'users-msg' });
  const audit = createAuditSection({ ep, signal: ctx.signal });

  const username = h('input', {
    type: 'text',
    id: 'user-name',
    required: true,
    autocomplete: 'off',
    maxlength: 64,
    spellcheck: 'false',
  });
  const password = h('input', {
    type: 'password',
    id: 'user-password',
    required: true,
    autocomplete: 'new-password',
    minlength: PASSWORD_RULES.minLength,
  });
  const role = select('user-role', ROLE_OPTIONS, 'viewer');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'user-create' }, 'Create user');
  const form = h(
    'form',
    { class: 'inline-form', id: 'user-form', 'aria-label': 'Create a user', novalidate: true },
    field('User name', username, 'Letters, digits or . _ @ -'),
    field('Password', password, PASSWORD_HINT),
    field('Role', role),
    h('div', { class: 'field field-submit' }, submit),
  );

  const changed = () => {
    void loadUsers();
    audit.reload();
  };
  const act = (p: Promise<unknown>, done: string) =>
    p.then(
      () => {
        replace(usersMsg, notice('ok', done));
        changed();
      },
      (err: unknown) => {
        replace(usersMsg, notice('error', errorMessage(err, USER_ERRORS)));
        void loadUsers();
      },
    );

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = username.value.trim();
    const problem = !USERNAME_PATTERN.test(name)
      ? 'The user name must be 1 to 64 letters, digits or . _ @ - and start with a letter or digit.'
      : passwordProblem(password.value);
    if (problem) {
      replace(usersMsg, notice('error', problem));
      (USERNAME_PATTERN.test(name) ? password : username).focus();
      return;
    }
    submit.disabled = true;
    ep.createUser({ username: name, password: password.value, role: role.value as Role }).then(
      ({ user }) => {
        submit.disabled = false;
        form.reset();
        replace(usersMsg, notice('ok', `User ${user.username} created as ${user.role}.`));
        changed();
      },
      (err: unknown) => {
        submit.disabled = false;
        replace(
          usersMsg,
          notice('error', errorMessage(err, { conflict: `The user name “${name}” is taken.` })),
        );
      },
    );
  });

  function userRow(u: User): HTMLTableRowElement {
    const me = u.id === myId;
    const roleSel = select(
      `role-${u.id}`,
      ROLE_OPTIONS.map(([r]) => [r, r] as const),
      u.role,
      { 'aria-label': `Role of ${u.username}` },
    );
    roleSel.addEventListener('change', () => {
      void act(
        ep.updateUser(u.id, { role: roleSel.value as Role }),
        `${u.username} is now ${roleSel.value}.`,
      );
    });
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'btn',
        id: `toggle-user-${u.id}`,
        'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.username}`,
      },
      u.disabled ? 'Enable' : 'Disable',
    );
    toggle.addEventListener('click', () => {
      void act(
        ep.updateUser(u.id, { disabled: !u.disabled }),
        `${u.username} ${u.disabled ? 'enabled' : 'disabled (its sessions ended, its tokens revoked)'}.`,
      );
    });
    return h(
      'tr',
      { 'data-user': u.username, class: u.disabled ? 'inactive' : null },
      h('th', { scope: 'row' }, u.username, me ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', {}, roleSel),
      h(
        'td',
        {},
        h(
          'span',
          { class: `tag tag-${u.disabled ? 'disabled' : 'enabled'}` },
          u.disabled ? 'disabled' : 'enabled',
        ),
      ),
      h('td', {}, dateTime(u.createdAt)),
      h(
        'td',
        { class: 'row-actions' },
        toggle,
        confirmButton(
          'Delete',
          `Delete ${u.username}?`,
          () => void act(ep.deleteUser(u.id), `${u.username} deleted.`),
          { 'aria-label': `Delete ${u.username}`, id: `delete-user-${u.id}` },
        ),
      ),
    );
  }

  async function loadUsers() {
    try {
      const users: User[] = [];
      let cursor: string | null = null;
      do {
        const page = await ep.users(cursor, ctx.signal);
        users.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && users.length < 1000);
      if (ctx.signal.aborted) return;
      if (users.length === 0) {
        replace(usersBox, empty('No users'));
        return;
      }
      replace(
        usersBox,
        table(
          {
            id: 'users-table',
            caption: `Users (${count(users.length)})`,
            columns: [
              { label: 'User' },
              { label: 'Role' },
              { label: 'State' },
              { label: 'Created' },
              { label: 'Actions', hidden: true },
            ],
          },
          users.map(userRow),
        ).wrap,
      );
    } catch (err) {
      if (!ctx.signal.aborted)
        replace(
          usersBox,
          failure(err, () => void loadUsers()),
        );
    }
  }

  replace(
    host,
    h('div', { class: 'view-head' }, h('h1', {}, 'Admin')),
    panel('admin-users', 'Users', form, usersMsg, usersBox),
    panel(
      'admin-tokens',
      'API tokens',
      createTokensSection({ ep, signal: ctx.signal, now: () => ctx.now(), changed: () => audit.reload() }),
    ),
    panel('admin-audit', 'Audit log', audit.el),
  );
  void loadUsers();
  return {};
}

export const adminView: ViewDef = {
  id: 'admin',
  pattern: 'admin',
  title: 'Admin',
  nav: { label: 'Admin', order: 90 },
  role: 'admin',
  mount,
};
