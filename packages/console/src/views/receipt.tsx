import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  get,
  request,
  type MerchantSummary,
  type MoneyField,
  type ReceiptFields,
  type ReceiptView as View,
  type SimilarReceipt,
} from '../api.js';
import { ErrorMessage, Loading, useLoad } from '../components/status.js';
import { formatMoney, minorDigits, parseMajor, percent } from '../format.js';
import { polygonPoints } from '../geometry.js';
import { receiptHref } from '../router.js';

/**
 * One receipt (`GET /receipts/{image_id}/{receipt_id}`): the image with its OCR line and word
 * boxes drawn from the stored geometry, zoom, the fields (hovering or focusing one highlights
 * the words of the lines it was read from), the merchant with its source, evidence and
 * confidence, similar receipts, inline corrections (`PATCH`), and delete (`DELETE`).
 */
export function ReceiptView({ imageId, receiptId }: { imageId: string; receiptId: number }) {
  const path = `/receipts/${encodeURIComponent(imageId)}/${receiptId}`;
  const [view, reload] = useLoad(() => get<View>(path), [path]);
  const [highlight, setHighlight] = useState<number[]>([]);
  if (view.state === 'loading') return <Loading what="the receipt" />;
  if (view.state === 'error') return <ErrorMessage error={view.error} />;
  const v = view.value;
  const title = v.merchant?.merchant_name ?? 'Receipt';
  return (
    <section aria-labelledby="receipt-title">
      <p>
        <a href="#/receipts">← All receipts</a>
      </p>
      <div class="title-row">
        <h1 id="receipt-title">{title}</h1>
        <span class="muted">
          stage: <span data-testid="stage">{v.stage}</span>
        </span>
      </div>
      {v.possible_duplicate_of ? (
        <p class="message">
          This may be a duplicate of{' '}
          <a href={receiptHref(v.possible_duplicate_of.image_id, v.possible_duplicate_of.receipt_id)}>
            an earlier receipt
          </a>{' '}
          (same merchant, date and total).
        </p>
      ) : null}
      <div class="receipt-layout">
        <ReceiptImage view={v} highlight={highlight} />
        <div>
          <h2>Fields</h2>
          <FieldList path={path} fields={v.receipt.fields} onHighlight={setHighlight} onSaved={reload} />
          <h2>Merchant</h2>
          <MerchantPanel path={path} view={v} onHighlight={setHighlight} onSaved={reload} />
          <h2>Similar receipts</h2>
          <SimilarList path={path} />
          <DeleteReceipt path={path} />
        </div>
      </div>
    </section>
  );
}

const ZOOMS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3];

function ReceiptImage({ view, highlight }: { view: View; highlight: number[] }) {
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [zoom, setZoom] = useState<number | 'fit'>('fit');
  const [showLines, setShowLines] = useState(true);
  const [showWords, setShowWords] = useState(true);
  const [failed, setFailed] = useState(false);
  const region = view.receipt.region;
  // An image the browser cannot show (a page of an uploaded PDF: an <img> cannot draw one; or a
  // link that has expired) still has its stored geometry: the boxes, and the words' text, are
  // then drawn on a blank page of the receipt's own size, in the receipt's frame.
  const paper = failed ? { width: region?.width ?? 600, height: region?.height ?? 900 } : null;
  const frame = paper ? undefined : region;
  const shown = paper ?? size;
  const lit = new Set(highlight);
  // "Fit" shows the whole width of the pane (about 640 px); a zoom step scales the natural size.
  const scale = shown ? (zoom === 'fit' ? Math.min(1, 640 / shown.width) : zoom) : 1;
  const step = (direction: 1 | -1) => {
    const current = scale;
    const next =
      direction > 0 ? ZOOMS.find((z) => z > current + 1e-6) : [...ZOOMS].reverse().find((z) => z < current - 1e-6);
    if (next !== undefined) setZoom(next);
  };
  return (
    <div>
      <div class="zoom" role="group" aria-label="Image controls">
        <button type="button" class="secondary" onClick={() => step(-1)} aria-label="Zoom out">
          −
        </button>
        <span aria-live="polite" data-testid="zoom">
          {Math.round(scale * 100)}%
        </span>
        <button type="button" class="secondary" onClick={() => step(1)} aria-label="Zoom in">
          +
        </button>
        <button type="button" class="secondary" onClick={() => setZoom('fit')}>
          Fit
        </button>
        <label>
          <input type="checkbox" checked={showLines} onChange={(e) => setShowLines(e.currentTarget.checked)} /> Lines
        </label>
        <label>
          <input type="checkbox" checked={showWords} onChange={(e) => setShowWords(e.currentTarget.checked)} /> Words
        </label>
      </div>
      {failed ? (
        <p class="message" role="status" data-testid="no-image">
          The browser cannot show this upload (a PDF page, or its link has expired: reload the page), so its words are
          drawn from the stored geometry on a blank page. <a href={view.image_url}>Open the original</a>
        </p>
      ) : null}
      <div class="image-pane">
        <div class="image-stage">
          {paper ? (
            <svg
              class="paper"
              width={Math.round(paper.width * scale)}
              height={Math.round(paper.height * scale)}
              viewBox={`0 0 ${paper.width} ${paper.height}`}
              preserveAspectRatio="none"
              data-testid="paper"
              role="img"
              aria-label={`The words of receipt ${view.receipt.receipt_id}, drawn where they were read`}
            >
              <rect width={paper.width} height={paper.height} fill="#fff" />
              {view.words.map((w) => (
                <text
                  key={`t${w.line_id}.${w.word_id}`}
                  x={w.bounding_box.x * paper.width}
                  y={(1 - w.bounding_box.y) * paper.height}
                  font-size={w.bounding_box.height * paper.height * 0.85}
                  textLength={w.bounding_box.width * paper.width}
                  lengthAdjust="spacingAndGlyphs"
                >
                  {w.text}
                </text>
              ))}
            </svg>
          ) : (
            <img
              src={view.image_url}
              alt={`The uploaded image of receipt ${view.receipt.receipt_id}`}
              width={size ? Math.round(size.width * scale) : undefined}
              height={size ? Math.round(size.height * scale) : undefined}
              onLoad={(e) => setSize({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
              onError={() => setFailed(true)}
            />
          )}
          {shown ? (
            <svg
              class="boxes"
              viewBox={`0 0 ${shown.width} ${shown.height}`}
              preserveAspectRatio="none"
              aria-hidden="true"
              data-testid="boxes"
            >
              {showLines
                ? view.lines.map((l) => (
                    <polygon
                      key={`l${l.line_id}`}
                      class="line"
                      data-line={l.line_id}
                      points={polygonPoints(l, frame, shown.width, shown.height)}
                    />
                  ))
                : null}
              {showWords
                ? view.words.map((w) => (
                    <polygon
                      key={`w${w.line_id}.${w.word_id}`}
                      class={`word${lit.has(w.line_id) ? ' highlight' : ''}`}
                      data-word={`${w.line_id}.${w.word_id}`}
                      points={polygonPoints(w, frame, shown.width, shown.height)}
                    >
                      <title>{w.text}</title>
                    </polygon>
                  ))
                : null}
            </svg>
          ) : null}
        </div>
      </div>
      <p class="hint">
        {view.lines.length} lines, {view.words.length} words. Blue: lines; green: words; amber: the words a field was
        read from.
      </p>
    </div>
  );
}

type SingleField = 'date' | 'total' | 'subtotal' | 'tax' | 'payment_method';
const FIELD_LABELS: Record<SingleField, string> = {
  date: 'Date',
  total: 'Total',
  subtotal: 'Subtotal',
  tax: 'Tax',
  payment_method: 'Payment method',
};
const PAYMENT_METHODS = ['cash', 'card', 'mobile', 'voucher', 'other'];

function fieldText(name: SingleField, fields: ReceiptFields | undefined): string | null {
  const f = fields?.[name];
  if (!f) return null;
  if (name === 'date') return (f as ReceiptFields['date'])?.value ?? `unreadable (“${f.text}”)`;
  if (name === 'payment_method') return (f as ReceiptFields['payment_method'])!.value;
  const m = f as MoneyField;
  return formatMoney(m.minor, m.currency);
}

function FieldList(props: {
  path: string;
  fields: ReceiptFields | undefined;
  onHighlight: (lines: number[]) => void;
  onSaved: () => void;
}) {
  const currency = props.fields?.total?.currency ?? props.fields?.subtotal?.currency ?? 'USD';
  return (
    <dl class="fields">
      {(Object.keys(FIELD_LABELS) as SingleField[]).map((name) => {
        const field = props.fields?.[name] ?? null;
        return (
          <FieldRow
            key={name}
            name={name}
            path={props.path}
            text={fieldText(name, props.fields)}
            source={field?.source ?? null}
            lineIds={field?.line_ids ?? []}
            initial={initialDraft(name, props.fields)}
            currency={(field as MoneyField | null)?.currency ?? currency}
            onHighlight={props.onHighlight}
            onSaved={props.onSaved}
          />
        );
      })}
      {props.fields && props.fields.line_items.length > 0 ? (
        <>
          <dt>Items</dt>
          <dd>
            <ul class="items">
              {props.fields.line_items.map((item, i) => (
                <li
                  key={i}
                  tabIndex={0}
                  onMouseEnter={() => props.onHighlight(item.line_ids)}
                  onMouseLeave={() => props.onHighlight([])}
                  onFocus={() => props.onHighlight(item.line_ids)}
                  onBlur={() => props.onHighlight([])}
                >
                  {item.quantity && item.quantity !== 1 ? `${item.quantity} × ` : ''}
                  {item.description}: {formatMoney(item.amount.minor, item.amount.currency)}
                </li>
              ))}
            </ul>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function initialDraft(name: SingleField, fields: ReceiptFields | undefined): string {
  const f = fields?.[name];
  if (!f) return name === 'payment_method' ? 'card' : '';
  if (name === 'date') return (f as ReceiptFields['date'])?.value ?? '';
  if (name === 'payment_method') return (f as ReceiptFields['payment_method'])!.value;
  const m = f as MoneyField;
  return (m.minor / 10 ** minorDigits(m.currency)).toFixed(minorDigits(m.currency));
}

function FieldRow(props: {
  name: SingleField;
  path: string;
  text: string | null;
  source: string | null;
  lineIds: number[];
  initial: string;
  currency: string;
  onHighlight: (lines: number[]) => void;
  onSaved: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.initial);
  const [error, setError] = useState<unknown>(null);
  const [hovered, setHovered] = useState(false);
  const id = `field-${props.name}`;
  // The form takes the focus when it opens ("Correct" is gone from under it): a keyboard user types
  // the value at once instead of tabbing from the top of the page again.
  const input = useRef<HTMLInputElement & HTMLSelectElement>(null);
  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);
  const hover = (on: boolean) => {
    setHovered(on);
    props.onHighlight(on ? props.lineIds : []);
  };
  const save = async () => {
    setError(null);
    let value: unknown = draft;
    if (props.name !== 'date' && props.name !== 'payment_method') {
      const minor = parseMajor(draft, props.currency);
      if (minor === null) {
        setError(new Error(`“${draft}” is not an amount`));
        return;
      }
      value = { minor, currency: props.currency };
    }
    try {
      await request('PATCH', props.path, { fields: { [props.name]: value } });
      setEditing(false);
      props.onSaved();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <dt id={`${id}-label`}>{FIELD_LABELS[props.name]}</dt>
      <dd>
        {editing ? (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <label class="visually-hidden" for={`${id}-input`}>
              {FIELD_LABELS[props.name]}
            </label>
            {props.name === 'payment_method' ? (
              <select id={`${id}-input`} ref={input} value={draft} onChange={(e) => setDraft(e.currentTarget.value)}>
                {PAYMENT_METHODS.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            ) : props.name === 'date' ? (
              <input
                id={`${id}-input`}
                ref={input}
                type="date"
                value={draft}
                required
                onInput={(e) => setDraft(e.currentTarget.value)}
              />
            ) : (
              <input
                id={`${id}-input`}
                ref={input}
                type="text"
                inputMode="decimal"
                value={draft}
                required
                onInput={(e) => setDraft(e.currentTarget.value)}
              />
            )}
            {props.name !== 'date' && props.name !== 'payment_method' ? <span>{props.currency}</span> : null}
            <button type="submit">Save</button>
            <button type="button" class="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <span
              class={`field-value${hovered ? ' hovered' : ''}`}
              data-field={props.name}
              tabIndex={0}
              aria-describedby={`${id}-label`}
              onMouseEnter={() => hover(true)}
              onMouseLeave={() => hover(false)}
              onFocus={() => hover(true)}
              onBlur={() => hover(false)}
            >
              {props.text ?? <span class="muted">not found</span>}
            </span>
            {props.source ? <span class="source">{props.source === 'user' ? 'corrected' : 'extracted'}</span> : null}
            <button
              type="button"
              class="link-button"
              aria-label={`Correct ${FIELD_LABELS[props.name].toLowerCase()}`}
              onClick={() => {
                setDraft(props.initial);
                setEditing(true);
              }}
            >
              Correct
            </button>
          </>
        )}
        {error ? <ErrorMessage error={error} title="Not saved" /> : null}
      </dd>
    </>
  );
}

interface Place {
  place_id: string;
  name: string | null;
}

function MerchantPanel(props: {
  path: string;
  view: View;
  onHighlight: (lines: number[]) => void;
  onSaved: () => void;
}) {
  const m = props.view.merchant;
  const [editing, setEditing] = useState(false);
  return (
    <div class="merchant-box" data-testid="merchant">
      {m ? (
        <>
          <p>
            <strong data-testid="merchant-name">{m.merchant_name ?? 'Unnamed place'}</strong>
            {m.place_id ? <code class="muted"> {m.place_id}</code> : null}
          </p>
          {m.address ? <p>{m.address}</p> : null}
          {m.phone ? <p>{m.phone}</p> : null}
          <dl class="fields">
            <dt>Source</dt>
            <dd data-testid="merchant-source">{m.source}</dd>
            <dt>Confidence</dt>
            <dd>
              <meter min={0} max={1} value={m.confidence} aria-label="Confidence" /> {percent(m.confidence)}
            </dd>
            <dt>Evidence</dt>
            <dd>{m.evidence.length > 0 ? m.evidence.join(', ') : 'none'}</dd>
          </dl>
        </>
      ) : (
        <p class="muted">No merchant decided yet.</p>
      )}
      {editing ? (
        <MerchantEditor
          path={props.path}
          current={m?.place_id ?? null}
          onDone={(saved) => {
            setEditing(false);
            if (saved) props.onSaved();
          }}
        />
      ) : (
        <button type="button" class="secondary" onClick={() => setEditing(true)}>
          Correct the merchant
        </button>
      )}
    </div>
  );
}

/**
 * Chooses the merchant among the owner's merchants (`GET /merchants`), or searches places when
 * the server offers `GET /places?query=`, or takes a place_id typed in; saves with `PATCH`.
 */
function MerchantEditor(props: { path: string; current: string | null; onDone: (saved: boolean) => void }) {
  const [merchants] = useLoad(() => get<{ merchants: MerchantSummary[] }>('/merchants'), []);
  const [choice, setChoice] = useState('');
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<Place[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const options = useMemo<Place[]>(
    () => (merchants.state === 'done' ? merchants.value.merchants.filter((x) => x.place_id !== props.current) : []),
    [merchants, props.current],
  );
  const save = async (placeId: string) => {
    setError(null);
    try {
      await request('PATCH', props.path, { merchant: { place_id: placeId } });
      props.onDone(true);
    } catch (e) {
      setError(e);
    }
  };
  const runSearch = async () => {
    setError(null);
    try {
      const answer = await get<{
        places: { place_id: string; name: string | null; formatted_address?: string | null }[];
        places_unavailable?: boolean;
      }>(`/places?query=${encodeURIComponent(search)}`);
      setFound(
        answer.places.map((p) => ({
          place_id: p.place_id,
          name: [p.name ?? p.place_id, p.formatted_address].filter(Boolean).join(', '),
        })),
      );
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="merchant-editor">
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const placeId = typed.trim() || choice;
          if (placeId) void save(placeId);
        }}
      >
        <div>
          <label for="merchant-choice">One of your merchants</label>
          <select id="merchant-choice" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            <option value="">Choose…</option>
            {[...options, ...(found ?? [])].map((o) => (
              <option key={o.place_id} value={o.place_id}>
                {o.name ?? o.place_id}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="merchant-place-id">or a place_id</label>
          <input id="merchant-place-id" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={!choice && !typed.trim()}>
          Save merchant
        </button>
        <button type="button" class="secondary" onClick={() => props.onDone(false)}>
          Cancel
        </button>
      </form>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (search.trim()) void runSearch();
        }}
      >
        <div>
          <label for="place-search">Search places</label>
          <input id="place-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <button type="submit" class="secondary">
          Search
        </button>
        {found ? <span class="muted">{found.length} found: pick one above</span> : null}
      </form>
      {merchants.state === 'error' ? <ErrorMessage error={merchants.error} title="Merchants not loaded" /> : null}
      {error ? <ErrorMessage error={error} title="Not saved" /> : null}
    </div>
  );
}

function SimilarList({ path }: { path: string }) {
  const [similar] = useLoad(() => get<{ similar: SimilarReceipt[] }>(`${path}/similar?k=5`), [path]);
  if (similar.state === 'loading') return <Loading what="similar receipts" />;
  if (similar.state === 'error') return <ErrorMessage error={similar.error} />;
  if (similar.value.similar.length === 0) {
    return <p class="muted">None yet (a receipt has similar ones once its vectors are compacted).</p>;
  }
  return (
    <ol class="similar">
      {similar.value.similar.map((s) => (
        <li key={`${s.image_id}/${s.receipt_id}`}>
          <a href={receiptHref(s.image_id, s.receipt_id)}>{s.merchant?.name ?? 'Unknown merchant'}</a>{' '}
          <span class="muted">({percent(s.score)} alike)</span>
        </li>
      ))}
    </ol>
  );
}

function DeleteReceipt({ path }: { path: string }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The safe answer takes the focus each time the question opens (the `autofocus` attribute works
  // only once per document, so a second question would leave the focus nowhere).
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);
  const remove = async () => {
    try {
      await request('DELETE', path);
      location.hash = '#/receipts';
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="danger-zone">
      {confirming ? (
        <div role="alertdialog" aria-labelledby="delete-question" class="inline-form">
          <span id="delete-question">Delete this receipt for good?</span>
          <button type="button" class="danger" onClick={() => void remove()}>
            Yes, delete
          </button>
          <button type="button" class="secondary" ref={keep} onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete receipt
        </button>
      )}
      {error ? <ErrorMessage error={error} title="Not deleted" /> : null}
    </div>
  );
}
