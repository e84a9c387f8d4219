// Receipts: build, validate and hash the record of one stage's run (the chain links each to the one before).
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { RECEIPT_SCHEMA_VERSION, ReceiptSchema, type Receipt } from '../../schemas/receipt.ts';

export type ReceiptFields = Omit<Receipt, 'schema_version'>;

/** A validated receipt; throws (a bug, not bad input) if the fields do not form one. */
export function buildReceipt(fields: ReceiptFields): Receipt {
  return ReceiptSchema.parse({ schema_version: RECEIPT_SCHEMA_VERSION, ...fields });
}

/** The receipt as stored: canonical JSON plus a newline. */
export function renderReceipt(receipt: Receipt): string {
  return canonicalJson(receipt) + '\n';
}

/** What the next receipt's prev_receipt_sha256 names: sha256 of the stored bytes. */
export function receiptSha256(receipt: Receipt): string {
  return sha256Hex(renderReceipt(receipt));
}

/** Redaction counts as receipt record_counts: the total under `redacted`, and `redacted:<rule>` per rule. */
export function redactionCounts(byRule: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const rule of Object.keys(byRule).sort()) {
    const n = byRule[rule] ?? 0;
    out[`redacted:${rule}`] = n;
    total += n;
  }
  out['redacted'] = total;
  return out;
}
