/** A JSON-friendly view of protocol messages, for command-line tools and logs. */
import { msgTypeName, type Message } from './messages.js';
import { reasonFromCode } from './reasons.js';

/** A JSON-friendly view of a message (bigints as decimal strings, type and reason names spelled out). */
export function describeMessage(msg: Message): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = { type: msgTypeName(msg.type) };
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'type') continue;
    out[k] = typeof v === 'bigint' ? v.toString() : (v as string | number | null);
    if (k === 'reasonCode') out.reason = reasonFromCode(v as number) ?? `UNKNOWN_${String(v)}`;
  }
  return out;
}
