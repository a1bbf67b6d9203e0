/**
 * The login page (shown without the shell): user name and password, POST /auth/login, then back to
 * the page that was asked for. Errors (wrong password, rate limit, server down) show in the form.
 */
import { describeError, isApiError, type Api } from '../api.js';
import { h, replace } from '../dom.js';

export function renderLogin(root: HTMLElement, deps: { api: Api; onSignedIn(): void }): void {
  document.title = 'Sign in · Ringwatch';
  const user = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    autofocus: true,
  });
  const pass = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'form-error', id: 'login-error', role: 'alert', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'login-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◎'), ' Ringwatch'),
    h('p', { class: 'muted' }, 'Sign in to the ring operations dashboard.'),
    h('label', { for: 'username' }, 'User name'),
    user,
    h('label', { for: 'password' }, 'Password'),
    pass,
    error,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!user.value || !pass.value) {
      error.textContent = 'Enter your user name and password.';
      (user.value ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    error.textContent = '';
    deps.api.login(user.value, pass.value).then(
      () => deps.onSignedIn(),
      (err: unknown) => {
        submit.disabled = false;
        submit.textContent = 'Sign in';
        error.textContent = isApiError(err, 'unauthenticated')
          ? 'Wrong user name or password.'
          : isApiError(err, 'rate_limited')
            ? 'Too many failed attempts. Wait a minute and try again.'
            : describeError(err);
        pass.select();
        pass.focus();
      },
    );
  });
  replace(root, h('main', { class: 'login-page', id: 'main' }, form));
  user.focus();
}
