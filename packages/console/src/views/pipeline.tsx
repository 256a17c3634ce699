import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, request } from '../api.js';
import { ErrorMessage, Loading } from '../components/status.js';

/** How often the view asks again: live without a reload, light on the server (4 small GETs). */
const POLL_MS = 3_000;
const QUEUES = ['ocr', 'ocr-results', 'compaction'] as const;
type QueueName = (typeof QUEUES)[number];

interface CollectionStatus {
  state: string;
  attempts: number;
  error: string | null;
  updated_at: string;
}

interface PipelineStatus {
  jobs: { by_status: Record<string, number>; capped: string[] };
  queues: { name: QueueName; depth: number; in_flight: number; dlq_depth: number }[];
  compaction_runs: {
    run_id: string;
    image_id: string;
    receipt_id: number;
    created_at: string;
    lines: CollectionStatus;
    words: CollectionStatus;
  }[];
}

interface DeadLetter {
  message_id: string;
  error: string;
  receive_count: number;
  sent_at: string | null;
  body_preview: string;
}

interface Snapshot {
  status: PipelineStatus;
  dead: Record<QueueName, DeadLetter[]>;
  at: Date;
}

async function loadSnapshot(): Promise<Snapshot> {
  const [status, ...lists] = await Promise.all([
    get<PipelineStatus>('/pipeline'),
    ...QUEUES.map((q) => get<{ messages: DeadLetter[] }>(`/pipeline/dlq/${q}`)),
  ]);
  const dead = Object.fromEntries(QUEUES.map((q, i) => [q, lists[i]!.messages])) as Record<QueueName, DeadLetter[]>;
  return { status: status as PipelineStatus, dead, at: new Date() };
}

/**
 * The Pipeline view (operators: `GET /pipeline`, `GET /pipeline/dlq/{queue}`, `POST …/redrive`):
 * jobs by status, each queue's depth with its DLQ, every dead letter with its error and a
 * redrive button (one, or all of a queue), and the compaction runs not finished. It polls every
 * 3 s and redraws in place (no reload); a failed poll keeps the last picture and says so.
 */
export function PipelineView() {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string>('');
  const [busy, setBusy] = useState<string | null>(null);
  const generation = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const next = await loadSnapshot();
      // A slow answer never overwrites a newer one.
      if (mine === generation.current) {
        setSnapshot(next);
        setError(null);
      }
    } catch (e) {
      if (mine === generation.current) setError(e);
    }
  }, []);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refresh]);

  const redrive = async (queue: QueueName, messageId?: string) => {
    setBusy(messageId ?? `all:${queue}`);
    try {
      const { redriven } = await request<{ redriven: number }>(
        'POST',
        `/pipeline/dlq/${queue}/redrive`,
        messageId ? { message_id: messageId } : {},
      );
      setNotice(
        redriven === 0
          ? `Nothing to redrive from ${queue}: the message was redriven already.`
          : `Redriven ${redriven} message${redriven === 1 ? '' : 's'} from the ${queue} DLQ.`,
      );
      await refresh();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <section aria-labelledby="pipeline-title">
      <div class="title-row">
        <h1 id="pipeline-title">Pipeline</h1>
        <p class="muted" aria-live="off">
          {snapshot ? `Updated ${snapshot.at.toLocaleTimeString()}; every ${POLL_MS / 1000} s` : null}
        </p>
      </div>
      <p class="hint" role="status" aria-live="polite">
        {notice}
      </p>
      {error ? (
        <ErrorMessage
          error={error}
          {...(forbidden
            ? { title: 'Only operators see the pipeline' }
            : snapshot
              ? { title: 'Could not refresh' }
              : {})}
        />
      ) : null}
      {!snapshot && !error ? <Loading what="the pipeline" /> : null}
      {snapshot ? (
        <>
          <JobCounts jobs={snapshot.status.jobs} />
          <QueueTable queues={snapshot.status.queues} />
          {QUEUES.map((queue) => (
            <DeadLetters
              key={queue}
              queue={queue}
              messages={snapshot.dead[queue]}
              busy={busy}
              onRedrive={(id) => void redrive(queue, id)}
            />
          ))}
          <CompactionRuns runs={snapshot.status.compaction_runs} />
        </>
      ) : null}
    </section>
  );
}

function JobCounts({ jobs }: { jobs: PipelineStatus['jobs'] }) {
  return (
    <>
      <h2 id="jobs-title">Jobs by status</h2>
      <table aria-labelledby="jobs-title">
        <thead>
          <tr>
            {Object.keys(jobs.by_status).map((status) => (
              <th key={status} scope="col" class="num">
                {status}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {Object.entries(jobs.by_status).map(([status, count]) => (
              <td key={status} class="num" data-status={status}>
                {count}
                {jobs.capped.includes(status) ? '+' : ''}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </>
  );
}

function QueueTable({ queues }: { queues: PipelineStatus['queues'] }) {
  return (
    <>
      <h2 id="queues-title">Queues</h2>
      <table aria-labelledby="queues-title">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col" class="num">
              Waiting
            </th>
            <th scope="col" class="num">
              In flight
            </th>
            <th scope="col" class="num">
              Dead letters
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.name} data-queue={q.name}>
              <th scope="row">{q.name}</th>
              <td class="num">{q.depth}</td>
              <td class="num">{q.in_flight}</td>
              <td class="num" data-dlq-depth={q.dlq_depth}>
                {q.dlq_depth}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function DeadLetters(props: {
  queue: QueueName;
  messages: DeadLetter[];
  busy: string | null;
  onRedrive: (messageId?: string) => void;
}) {
  const { queue, messages, busy } = props;
  const titleId = `dlq-${queue}-title`;
  return (
    <section aria-labelledby={titleId} data-dlq={queue}>
      <div class="title-row">
        <h2 id={titleId}>Dead letters: {queue}</h2>
        {messages.length > 0 ? (
          <button type="button" disabled={busy !== null} onClick={() => props.onRedrive()}>
            Redrive all ({messages.length}) from {queue}
          </button>
        ) : null}
      </div>
      {messages.length === 0 ? (
        <p class="empty">None.</p>
      ) : (
        <table aria-labelledby={titleId}>
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Error</th>
              <th scope="col" class="num">
                Receives
              </th>
              <th scope="col">Sent</th>
              <th scope="col">Body</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.message_id} data-message-id={m.message_id}>
                <td>
                  <code>{m.message_id}</code>
                </td>
                <td class="dlq-error">{m.error}</td>
                <td class="num">{m.receive_count}</td>
                <td>{m.sent_at ? new Date(m.sent_at).toLocaleString() : '—'}</td>
                <td>
                  <code class="body-preview">{m.body_preview}</code>
                </td>
                <td>
                  <button
                    type="button"
                    disabled={busy !== null}
                    aria-label={`Redrive message ${m.message_id}`}
                    onClick={() => props.onRedrive(m.message_id)}
                  >
                    Redrive
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CompactionRuns({ runs }: { runs: PipelineStatus['compaction_runs'] }) {
  const state = (c: CollectionStatus) => `${c.state}${c.attempts > 0 ? ` (attempt ${c.attempts})` : ''}`;
  return (
    <>
      <h2 id="runs-title">Compaction runs pending or failed</h2>
      {runs.length === 0 ? (
        <p class="empty">None: every run is compacted.</p>
      ) : (
        <table aria-labelledby="runs-title">
          <thead>
            <tr>
              <th scope="col">Receipt</th>
              <th scope="col">Lines</th>
              <th scope="col">Words</th>
              <th scope="col">Error</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.run_id}>
                <td>
                  <a href={`#/receipts/${encodeURIComponent(r.image_id)}/${r.receipt_id}`}>
                    {r.image_id.slice(0, 8)}…/{r.receipt_id}
                  </a>
                </td>
                <td>{state(r.lines)}</td>
                <td>{state(r.words)}</td>
                <td>{r.lines.error ?? r.words.error ?? ''}</td>
                <td>{new Date(r.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
