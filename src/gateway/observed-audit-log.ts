import { AuditLog } from '../audit/audit-log.ts';
import type { AuditEvent } from '../audit/events.ts';

/**
 * An audit log that also reports each event to a listener: the gateway's metrics see exactly the
 * verdicts and sandbox lifecycle the supervisor records, without any hook in the supervisor itself.
 */
export class ObservedAuditLog extends AuditLog {
  readonly #listener: (event: AuditEvent) => void;

  constructor(session: string, file: string | undefined, listener: (event: AuditEvent) => void) {
    super(session, file);
    this.#listener = listener;
  }

  override write(event: AuditEvent): void {
    super.write(event);
    this.#listener(event);
  }
}
