import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Asks for the API token (`receipts serve --token T`, or a key handed out in AWS). It is kept in
 * this tab's sessionStorage only, and sent as `Authorization: Bearer` to the API.
 */
export function SignIn({ reason, onSignIn }: { reason: string; onSignIn: (token: string) => void }) {
  const [token, setTokenText] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p role="alert">{reason}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSignIn(token.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          ref={input}
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(e) => setTokenText(e.currentTarget.value)}
        />
        <p class="hint">
          The token <code>receipts serve --token</code> was started with. It stays in this tab only.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}
