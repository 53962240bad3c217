/**
 * The sign-in form shown when HTTP_TOKEN is set. Server-rendered and tiny; the only value put into
 * it (`next`, a path on this site) is HTML-escaped.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function loginPage(options: { readonly next: string; readonly failed: boolean }): string {
  const error = options.failed ? '<p class="login-error" role="alert">That token is not right.</p>' : '';
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>filesearch — Sign in</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body class="login-body">
<main class="login">
<h1>filesearch</h1>
<form method="post" action="/login" class="login-form">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(options.next)}">
${error}
<button type="submit">Sign in</button>
</form>
<p class="login-hint">The token is the worker's <code>HTTP_TOKEN</code>. Scripts can send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p>
</main>
</body>
</html>
`;
}
