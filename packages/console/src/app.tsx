import { Component, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getToken, onUnauthorized, setToken } from './api.js';
import { useRoute, type Route } from './router.js';
import { SignIn } from './views/sign-in.js';
import { ReceiptsView } from './views/receipts.js';
import { ReceiptView } from './views/receipt.js';
import { PipelineView } from './views/pipeline.js';

/**
 * The console: a header with the views, the current view, and a sign-in prompt whenever the API
 * answers 401 (no token, a wrong one, or one no longer accepted). A server without `--token`
 * (open loopback mode) needs none, so the views are tried first and the prompt appears only when
 * the server asks for a token.
 */
export function App() {
  const route = useRoute();
  const [signInReason, setSignInReason] = useState<string | null>(null);
  // Bumped after a sign-in so the current view fetches again with the new token.
  const [generation, setGeneration] = useState(0);

  useEffect(
    () =>
      onUnauthorized(() =>
        setSignInReason(getToken() ? 'The server did not accept this token.' : 'This server needs an API token.'),
      ),
    [],
  );

  const signIn = (token: string) => {
    setToken(token);
    setSignInReason(null);
    setGeneration((g) => g + 1);
  };
  const signOut = () => {
    setToken(null);
    setSignInReason('Signed out.');
  };

  return (
    <>
      {/* The routes live in the hash, so following "#main" would open a page named "main" (Not
          found): the link moves the focus itself and leaves the address alone. */}
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">receiptflow</span>
        <nav aria-label="Views">
          <NavLink href="#/receipts" current={route.view === 'receipts' || route.view === 'receipt'}>
            Receipts
          </NavLink>
          <NavLink href="#/pipeline" current={route.view === 'pipeline'}>
            Pipeline
          </NavLink>
        </nav>
        {getToken() && !signInReason ? (
          <button type="button" class="link-button" onClick={signOut}>
            Sign out
          </button>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {signInReason !== null ? (
          <SignIn reason={signInReason} onSignIn={signIn} />
        ) : (
          <ErrorBoundary key={`${generation}:${route.view}`}>
            <CurrentView route={route} />
          </ErrorBoundary>
        )}
      </main>
    </>
  );
}

function NavLink(props: { href: string; current: boolean; children: ComponentChildren }) {
  return (
    <a href={props.href} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}

function CurrentView({ route }: { route: Route }) {
  switch (route.view) {
    case 'receipts':
      return <ReceiptsView params={route.params} />;
    case 'receipt':
      return (
        <ReceiptView key={`${route.imageId}/${route.receiptId}`} imageId={route.imageId} receiptId={route.receiptId} />
      );
    case 'pipeline':
      return <PipelineView />;
    default:
      return (
        <section class="message" role="alert">
          <h1>Not found</h1>
          <p>
            There is no page <code>{route.path}</code>. <a href="#/receipts">Go to the receipts.</a>
          </p>
        </section>
      );
  }
}

/** A view that throws while rendering shows what went wrong instead of a blank page. */
class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: Error | null }> {
  override state = { error: null as Error | null };
  override componentDidCatch(error: unknown) {
    this.setState({ error: error instanceof Error ? error : new Error(String(error)) });
  }
  override render() {
    if (this.state.error) {
      return (
        <section class="message error" role="alert">
          <h1>Something went wrong</h1>
          <p>{this.state.error.message}</p>
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </section>
      );
    }
    return this.props.children;
  }
}
