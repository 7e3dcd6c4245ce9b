import { randomBytes } from 'node:crypto';
import type { KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import { KINDS, resourcePath } from './kinds.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** Same event again within this window becomes a series update instead of a new Event. */
const SERIES_WINDOW_MS = 10 * 60_000;
const MAX_NOTE = 1024;

function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * events.k8s.io/v1 Events, deduplicated: a repeat of the same (object, type, reason, note) within ten
 * minutes patches the first Event's series count instead of creating another.
 */
export class EventRecorder {
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(
    private readonly client: KubeClient,
    private readonly controller: string,
    private readonly instance: string,
  ) {}

  async record(target: EventTarget, input: EventInput, now = new Date()): Promise<void> {
    const namespace = target.metadata.namespace ?? 'default';
    const note = input.note.length > MAX_NOTE ? `${input.note.slice(0, MAX_NOTE - 1)}\u2026` : input.note;
    const key = [target.metadata.uid, input.type, input.reason, note].join('\u0000');
    this.prune(now.getTime());
    const seen = this.recent.get(key);
    if (seen) {
      seen.count++;
      seen.at = now.getTime();
      try {
        await this.client.request('PATCH', resourcePath(KINDS.Event, seen.namespace, seen.name), {
          body: { series: { count: seen.count, lastObservedTime: microTime(now) } },
          contentType: 'application/merge-patch+json',
        });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.recent.delete(key);
      }
    }
    const name = `${target.metadata.name}.${randomBytes(8).toString('hex')}`;
    await this.client.request('POST', resourcePath(KINDS.Event, namespace), {
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: this.controller,
        reportingInstance: this.instance,
        action: input.action,
        reason: input.reason,
        note,
        type: input.type,
        regarding: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          name: target.metadata.name,
          namespace,
          uid: target.metadata.uid,
          resourceVersion: target.metadata.resourceVersion,
        },
      },
    });
    this.recent.set(key, { name, namespace, count: 1, at: now.getTime() });
  }

  private prune(now: number): void {
    for (const [k, v] of this.recent) if (now - v.at > SERIES_WINDOW_MS) this.recent.delete(k);
  }
}
