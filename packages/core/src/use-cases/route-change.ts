import {
  COLLECTIONS,
  CompactionRunSchema,
  ReceiptPlaceSchema,
  ReceiptSchema,
  type ChangeRecord,
  type CompactionMessage,
  type ReceiptPlace,
  type VectorMetadata,
  merchantMetadataChanged,
  placeMetadata,
} from '../domain/index.js';

/**
 * The stream processor's decision: which compaction messages a job-table change needs.
 * CompactionRun INSERT → one `merge` per collection. Merchant field changes on a ReceiptPlace →
 * `update_metadata` per collection. Receipt REMOVE → `delete_receipt` per collection.
 * Everything else (including CompactionRun MODIFY) → nothing.
 *
 * A place INSERT with no previous image needs nothing: processOcrResults writes the place before
 * the run, so the run's deltas already carry it. A record whose image does not parse produces
 * nothing either, because no retry could ever make it parse.
 *
 * @example
 * routeChange({ entity: 'RECEIPT_PLACE', event_name: 'MODIFY', old_image: place, new_image: { ...place, address: '2 Other St' }, sequence: '7' });
 * // → [{ kind: 'update_metadata', collection: 'lines', image_id, receipt_id, metadata: { merchant_address: '2 Other St', … } },
 * //    { kind: 'update_metadata', collection: 'words', … }]
 * routeChange({ entity: 'COMPACTION_RUN', event_name: 'MODIFY', old_image: run, new_image: done, sequence: '8' }); // → []
 */
export function routeChange(change: ChangeRecord): CompactionMessage[] {
  switch (change.entity) {
    case 'COMPACTION_RUN':
      return change.event_name === 'INSERT' ? mergeMessages(change.new_image) : [];
    case 'RECEIPT_PLACE':
      return placeMessages(change);
    case 'RECEIPT':
      return change.event_name === 'REMOVE' ? deleteMessages(change.old_image) : [];
    default:
      return [];
  }
}

function mergeMessages(image: Record<string, unknown> | null): CompactionMessage[] {
  const run = CompactionRunSchema.safeParse(image);
  if (!run.success) return [];
  const { run_id, image_id, receipt_id, job_id } = run.data;
  return COLLECTIONS.filter((c) => run.data[c].state !== 'COMPLETED').map((collection) => ({
    kind: 'merge',
    collection,
    run_id,
    image_id,
    receipt_id,
    ...(job_id === undefined ? {} : { job_id }),
    delta_key: run.data[collection].delta_key,
  }));
}

function placeMessages(change: ChangeRecord): CompactionMessage[] {
  const oldPlace = ReceiptPlaceSchema.safeParse(change.old_image);
  const newPlace = ReceiptPlaceSchema.safeParse(change.new_image);
  if (change.event_name === 'REMOVE') {
    if (!oldPlace.success) return [];
    return metadataMessages(oldPlace.data, placeMetadata(null));
  }
  // INSERT without a previous image: the deltas already carry this place.
  if (!newPlace.success || !oldPlace.success) return [];
  const before = oldPlace.data;
  const after = newPlace.data;
  if (!merchantMetadataChanged(before, after)) return [];
  return metadataMessages(after, placeMetadata(after));
}

function metadataMessages(place: ReceiptPlace, metadata: VectorMetadata): CompactionMessage[] {
  return COLLECTIONS.map((collection) => ({
    kind: 'update_metadata',
    collection,
    image_id: place.image_id,
    receipt_id: place.receipt_id,
    metadata,
  }));
}

function deleteMessages(image: Record<string, unknown> | null): CompactionMessage[] {
  const receipt = ReceiptSchema.safeParse(image);
  if (!receipt.success) return [];
  return COLLECTIONS.map((collection) => ({
    kind: 'delete_receipt',
    collection,
    image_id: receipt.data.image_id,
    receipt_id: receipt.data.receipt_id,
  }));
}
