import { useMemo, useState } from 'preact/hooks';
import {
  apiErrorFrom,
  apiUrl,
  get,
  getToken,
  query,
  type MerchantSummary,
  type ReceiptList,
  type ReceiptSummary,
} from '../api.js';
import { ErrorMessage, Loading, useLoad } from '../components/status.js';
import { UploadPanel } from '../components/upload.js';
import { formatMoney } from '../format.js';
import { receiptHref, receiptsHref } from '../router.js';

const FILTERS = ['merchant', 'from', 'to', 'min', 'max', 'text'] as const;
type FilterName = (typeof FILTERS)[number];
type Filters = Partial<Record<FilterName, string>>;

type SortKey = 'date' | 'merchant' | 'total' | 'created_at';

/**
 * The receipts table (`GET /receipts`, newest first, paged by `next_cursor`) with its filters in
 * the address (`#/receipts?merchant=…&from=…`, so a filtered list can be linked and survives a
 * reload), column sorting of the loaded page, the upload panel and the export button.
 */
export function ReceiptsView({ params }: { params: URLSearchParams }) {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  const filterKey = JSON.stringify(filters);
  // The cursor of each page visited, the first page's null: "Next" pushes, "Previous" pops. They
  // belong to the filters they were made for: other filters (a new search, or the browser's Back
  // to an earlier address) start again at page 1, as a cursor of another listing is a 400.
  const [paging, setPaging] = useState<{ filters: string; pages: (string | null)[] }>({
    filters: filterKey,
    pages: [null],
  });
  const pages = paging.filters === filterKey ? paging.pages : [null];
  const setPages = (next: (string | null)[]) => setPaging({ filters: filterKey, pages: next });
  const cursor = pages[pages.length - 1] ?? null;
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean } | null>(null);
  const [list, reload] = useLoad(
    () => get<ReceiptList>(`/receipts${query({ ...filters, cursor, limit: 25 })}`),
    [filterKey, cursor],
  );
  const [merchants] = useLoad(() => get<{ merchants: MerchantSummary[] }>('/merchants'), []);

  const applyFilters = (next: Filters) => {
    setPages([null]); // the same filters again: back to page 1 too
    location.hash = receiptsHref(next);
  };

  return (
    <section aria-labelledby="receipts-title">
      <div class="title-row">
        <h1 id="receipts-title">Receipts</h1>
        <ExportButton filters={filters} />
      </div>
      <UploadPanel onProcessed={reload} />
      <FilterForm
        key={filterKey}
        filters={filters}
        merchants={merchants.state === 'done' ? merchants.value.merchants : []}
        onApply={applyFilters}
      />
      {list.state === 'loading' ? <Loading what="receipts" /> : null}
      {list.state === 'error' ? <ErrorMessage error={list.error} /> : null}
      {list.state === 'done' ? (
        <>
          <ReceiptTable rows={list.value.receipts} sort={sort} onSort={setSort} />
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
              Previous page
            </button>
            <span class="muted">Page {pages.length}</span>
            <button
              type="button"
              disabled={!list.value.next_cursor}
              onClick={() => setPages([...pages, list.value.next_cursor])}
            >
              Next page
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}

function FilterForm(props: { filters: Filters; merchants: MerchantSummary[]; onApply: (f: Filters) => void }) {
  const [draft, setDraft] = useState<Filters>(props.filters);
  const field = (name: FilterName) => ({
    id: `filter-${name}`,
    name,
    value: draft[name] ?? '',
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <form
      class="filters"
      aria-label="Filter receipts"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(Object.fromEntries(Object.entries(draft).filter(([, v]) => v)));
      }}
    >
      <div>
        <label for="filter-merchant">Merchant</label>
        <select {...field('merchant')}>
          <option value="">Any merchant</option>
          {props.merchants.map((m) => (
            <option key={m.place_id} value={m.place_id}>
              {m.name ?? m.place_id} ({m.receipt_count})
            </option>
          ))}
          {draft.merchant && !props.merchants.some((m) => m.place_id === draft.merchant) ? (
            <option value={draft.merchant}>{draft.merchant}</option>
          ) : null}
        </select>
      </div>
      <div>
        <label for="filter-from">From</label>
        <input type="date" {...field('from')} />
      </div>
      <div>
        <label for="filter-to">To</label>
        <input type="date" {...field('to')} />
      </div>
      <div>
        <label for="filter-min">Total at least</label>
        <input type="number" step="any" inputMode="decimal" {...field('min')} />
      </div>
      <div>
        <label for="filter-max">Total at most</label>
        <input type="number" step="any" inputMode="decimal" {...field('max')} />
      </div>
      <div class="grow">
        <label for="filter-text">Text on the receipt</label>
        <input type="search" {...field('text')} />
      </div>
      <div class="actions">
        <button type="submit">Filter</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setDraft({});
            props.onApply({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'date', label: 'Date' },
  { key: 'merchant', label: 'Merchant' },
  { key: 'total', label: 'Total' },
  { key: 'created_at', label: 'Uploaded' },
];

function sortValue(row: ReceiptSummary, key: SortKey): string | number {
  switch (key) {
    case 'date':
      return row.date ?? row.created_at.slice(0, 10);
    case 'merchant':
      return (row.merchant?.name ?? '').toLowerCase();
    case 'total':
      return row.total ? row.total.amount_minor : Number.NEGATIVE_INFINITY;
    case 'created_at':
      return row.created_at;
  }
}

function ReceiptTable(props: {
  rows: ReceiptSummary[];
  sort: { key: SortKey; descending: boolean } | null;
  onSort: (s: { key: SortKey; descending: boolean }) => void;
}) {
  const { sort } = props;
  const rows = useMemo(() => {
    if (!sort) return props.rows;
    return [...props.rows].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.descending ? -order : order;
    });
  }, [props.rows, sort]);
  if (props.rows.length === 0) return <p class="empty">No receipts match.</p>;
  return (
    <table class="receipts">
      <caption class="visually-hidden">Receipts, {sort ? `sorted by ${sort.key}` : 'newest first'}</caption>
      <thead>
        <tr>
          {COLUMNS.map((c) => (
            <th
              key={c.key}
              scope="col"
              class={c.key === 'total' ? 'num' : undefined}
              aria-sort={sort?.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}
            >
              <button
                type="button"
                class="sort"
                onClick={() => props.onSort({ key: c.key, descending: sort?.key === c.key ? !sort.descending : false })}
              >
                {c.label}
                <span aria-hidden="true">{sort?.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
              </button>
            </th>
          ))}
          <th scope="col">Merchant source</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.image_id}/${r.receipt_id}`} data-receipt={`${r.image_id}/${r.receipt_id}`}>
            <td>{r.date ?? <span class="muted">no date</span>}</td>
            <td class="merchant-cell">
              <a href={receiptHref(r.image_id, r.receipt_id)}>{r.merchant?.name ?? 'Unknown merchant'}</a>
              {r.possible_duplicate_of ? <span class="badge">possible duplicate</span> : null}
            </td>
            <td class="num">{r.total ? formatMoney(r.total.amount_minor, r.total.currency) : '—'}</td>
            <td>{new Date(r.created_at).toLocaleString()}</td>
            <td>{r.merchant?.source ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Downloads `GET /export?format=csv` with the current filters. Fetched with the bearer token (a
 * plain link could not send it) and handed to the browser as a file.
 */
function ExportButton({ filters }: { filters: Filters }) {
  const [state, setState] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const run = async (format: 'csv' | 'jsonl') => {
    setState({ busy: true, error: null });
    try {
      const token = getToken();
      const res = await fetch(apiUrl(`/export${query({ ...filters, format })}`), {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      if (!res.ok) throw await apiErrorFrom(res);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `receipts.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <div class="export">
      <button type="button" disabled={state.busy} onClick={() => void run('csv')}>
        {state.busy ? 'Exporting…' : 'Export CSV'}
      </button>
      <button type="button" class="secondary" disabled={state.busy} onClick={() => void run('jsonl')}>
        Export JSON lines
      </button>
      {state.error ? <ErrorMessage error={state.error} title="Export failed" /> : null}
    </div>
  );
}
