import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, query, uploadFile, type UploadStatus } from '../api.js';
import { receiptHref } from '../router.js';

/** How many files upload at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 2;
const POLL_MS = 1_000;

interface Item {
  key: number;
  file: File;
  /** 0..1 of the bytes sent. */
  sent: number;
  phase: 'waiting' | 'uploading' | 'processing' | 'compacted' | 'failed' | 'duplicate';
  /** The pipeline stage from GET /upload-status while processing. */
  stage?: string;
  /** The server's words for a refusal or a failure, as it said them. */
  message?: string;
  imageId?: string;
  receiptId?: number;
}

let nextKey = 1;

/**
 * Drag-and-drop (or "Choose files") upload of many files: each is sent with
 * `POST /upload-receipt`, its progress shown, then `GET /upload-status` is polled until it is
 * compacted or failed. A refusal (not an image, too large) shows the server's message on that
 * file's row; a duplicate names the earlier upload. `onProcessed` runs when one finishes, so the
 * table can show it.
 */
export function UploadPanel({ onProcessed }: { onProcessed: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const processedRef = useRef(onProcessed);
  processedRef.current = onProcessed;

  const update = (key: number, change: Partial<Item>) =>
    setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  // Starts waiting uploads while fewer than PARALLEL_UPLOADS are sending.
  useEffect(() => {
    const sending = items.filter((i) => i.phase === 'uploading').length;
    const waiting = items.filter((i) => i.phase === 'waiting').slice(0, PARALLEL_UPLOADS - sending);
    for (const item of waiting) {
      update(item.key, { phase: 'uploading' });
      uploadFile(item.file, (sent) => update(item.key, { sent })).then(
        (answer) =>
          update(item.key, {
            imageId: answer.image_id,
            ...(answer.duplicate
              ? { phase: 'duplicate', message: `Already uploaded: this image is ${answer.image_id}.` }
              : { phase: 'processing', stage: 'uploaded' }),
          }),
        (error: unknown) =>
          update(item.key, {
            phase: 'failed',
            message: error instanceof Error ? error.message : String(error),
          }),
      );
    }
  }, [items]);

  // Polls the stage of the uploads being processed.
  const processing = items.some((i) => i.phase === 'processing');
  useEffect(() => {
    if (!processing) return;
    let stopped = false;
    const poll = async () => {
      for (const item of itemsRef.current.filter((i) => i.phase === 'processing')) {
        try {
          const status = await get<UploadStatus>(`/upload-status${query({ image_id: item.imageId })}`);
          if (stopped) return;
          if (status.stage === 'compacted') {
            update(item.key, {
              phase: 'compacted',
              stage: status.stage,
              receiptId: status.receipts[0]?.receipt_id ?? 1,
            });
            processedRef.current();
          } else if (status.stage === 'failed') {
            update(item.key, {
              phase: 'failed',
              stage: status.failed_stage ?? 'failed',
              message: status.failure_reason ?? 'processing failed',
            });
            processedRef.current();
          } else {
            update(item.key, { stage: status.stage });
          }
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) return;
          // A transient failure: the next poll tries again.
        }
      }
    };
    const timer = setInterval(() => void poll(), POLL_MS);
    void poll();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [processing]);

  const add = (files: FileList | File[] | null) => {
    if (!files) return;
    const added = [...files].map((file): Item => ({ key: nextKey++, file, sent: 0, phase: 'waiting' }));
    setItems((list) => [...added, ...list]);
  };

  return (
    <section class="upload" aria-labelledby="upload-title">
      <h2 id="upload-title" class="visually-hidden">
        Upload receipts
      </h2>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          add(e.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop receipt images here (PNG, JPEG, WebP, TIFF, HEIC, PDF), or</p>
        <label class="button" for="upload-input">
          Choose files
        </label>
        <input
          id="upload-input"
          class="visually-hidden"
          type="file"
          multiple
          onChange={(e) => {
            add(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
      </div>
      {items.length > 0 ? (
        <ul class="uploads" aria-label="Uploads" aria-live="polite">
          {items.map((item) => (
            <UploadRow key={item.key} item={item} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

const PHASE_LABEL: Record<Item['phase'], string> = {
  waiting: 'waiting',
  uploading: 'uploading',
  processing: 'processing',
  compacted: 'compacted',
  failed: 'failed',
  duplicate: 'duplicate',
};

function UploadRow({ item }: { item: Item }) {
  const label =
    item.phase === 'uploading'
      ? `uploading ${Math.round(item.sent * 100)}%`
      : item.phase === 'processing'
        ? `processing: ${item.stage ?? ''}`
        : PHASE_LABEL[item.phase];
  return (
    <li class={`upload-item ${item.phase}`} data-file={item.file.name} data-phase={item.phase}>
      <span class="file-name">{item.file.name}</span>
      <progress
        max={1}
        value={item.phase === 'waiting' ? 0 : item.phase === 'uploading' ? item.sent : 1}
        aria-label={`${item.file.name} upload progress`}
      />
      <span class="phase">
        {item.phase === 'compacted' && item.imageId ? (
          <a href={receiptHref(item.imageId, item.receiptId ?? 1)}>{label}</a>
        ) : (
          label
        )}
      </span>
      {item.message ? (
        <span class="upload-message" role={item.phase === 'failed' ? 'alert' : undefined}>
          {item.message}
        </span>
      ) : null}
    </li>
  );
}
