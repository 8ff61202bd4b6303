/**
 * A steady producer through the gateway, as Alloy or Prometheus would be: every tick one metric
 * sample and one log line (and every fourth tick one trace), each with a sequence number, spread
 * over the live gateway tasks (the ALB's targets), retried on 5xx or a network error a bounded
 * number of times like remote write does. It counts what it attempted and what was acknowledged,
 * per phase, and reads back what was acknowledged.
 */
import { basicAuth, getJson, lokiPush, otlpTraceBody, otlpTraces, randomHex, remoteWrite, selector } from "./clients";

export interface PhaseCount {
  attempted: number;
  acknowledged: number;
  /** Requests that failed (any try), e.g. 502 while a task was replaced. */
  failedTries: number;
}

export interface Readback {
  acknowledged: number;
  readable: number;
  missing: string[];
}

interface Acked {
  phase: string;
  metrics: { ts: number; value: number }[];
  logs: { tsNs: bigint; line: string }[];
  traces: string[];
}

export class Workload {
  readonly run = randomHex(4);
  /** The tenant's write credential (pushes) and read credential (the read-backs). */
  private readonly auth: string;
  private readonly readAuth: string;
  private readonly acked = new Map<string, Acked>();
  readonly counts = new Map<string, { metrics: PhaseCount; logs: PhaseCount; traces: PhaseCount }>();
  private timer?: NodeJS.Timeout;
  private phase = "";
  private seq = 0;
  private inflight = new Set<Promise<void>>();
  private rr = 0;
  private stopped = true;

  constructor(
    private readonly gateways: () => string[],
    readonly tenant: string,
    passwords: { readonly write: string; readonly read: string },
    private readonly tickMs = 250,
    /** Send a trace every fourth tick (false where no Tempo runs, e.g. the zones scenario). */
    private readonly traces = true,
  ) {
    this.auth = basicAuth(tenant, passwords.write);
    this.readAuth = basicAuth(tenant, passwords.read);
  }

  private base(): string {
    const g = this.gateways();
    if (g.length === 0) throw new Error("no live gateway task");
    return g[this.rr++ % g.length];
  }

  start(phase: string): void {
    this.phase = phase;
    if (!this.acked.has(phase)) this.acked.set(phase, { phase, metrics: [], logs: [], traces: [] });
    if (!this.counts.has(phase)) {
      const z = (): PhaseCount => ({ attempted: 0, acknowledged: 0, failedTries: 0 });
      this.counts.set(phase, { metrics: z(), logs: z(), traces: z() });
    }
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      const p = this.tick().finally(() => this.inflight.delete(p));
      this.inflight.add(p);
      this.timer = setTimeout(tick, this.tickMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all([...this.inflight]);
  }

  private async withRetry(count: PhaseCount, send: () => Promise<Response>): Promise<boolean> {
    count.attempted++;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const res = await send();
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) {
          count.acknowledged++;
          return true;
        }
        count.failedTries++;
        if (res.status < 500) return false;
      } catch {
        count.failedTries++;
      }
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
    return false;
  }

  private async tick(): Promise<void> {
    const seq = ++this.seq;
    const phase = this.phase;
    const acked = this.acked.get(phase)!;
    const counts = this.counts.get(phase)!;
    const now = Date.now();
    const labels = { __name__: "lgtm_system_seq", run: this.run, phase };
    const metric = this.withRetry(counts.metrics, () => remoteWrite(this.base(), this.auth, [{ labels, samples: [{ value: seq, timestampMs: now }] }])).then((ok) => {
      if (ok) acked.metrics.push({ ts: now, value: seq });
    });
    const tsNs = BigInt(now) * 1_000_000n + BigInt(seq % 1_000_000);
    const line = `run=${this.run} phase=${phase} seq=${seq}`;
    const log = this.withRetry(counts.logs, () => lokiPush(this.base(), this.auth, [{ labels: { run: this.run, phase }, lines: [{ tsNs, line }] }])).then((ok) => {
      if (ok) acked.logs.push({ tsNs, line });
    });
    let trace: Promise<void> = Promise.resolve();
    if (this.traces && seq % 4 === 0) {
      const id = randomHex(16);
      const body = otlpTraceBody(id, `system-${this.run}`, `${phase}-${seq}`, now);
      trace = this.withRetry(counts.traces, () => otlpTraces(this.base(), this.auth, body)).then((ok) => {
        if (ok) acked.traces.push(id);
      });
    }
    await Promise.all([metric, log, trace]);
  }

  /** Resolves once the current phase has an acknowledged sample, line and trace (bounded). */
  async acknowledgedEach(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = this.acked.get(this.phase);
      if (a && a.metrics.length > 0 && a.logs.length > 0 && a.traces.length > 0) return;
      if (Date.now() > deadline) throw new Error(`phase ${this.phase}: not every signal acknowledged within ${timeoutMs / 1000} s: ${JSON.stringify(this.counts.get(this.phase))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  phases(): string[] {
    return [...this.acked.keys()];
  }

  /** Every acknowledged sample of the phase, read back with a range-vector query over the last 30 minutes. */
  async readMetrics(base: string, phase: string): Promise<Readback> {
    const want = this.acked.get(phase)?.metrics ?? [];
    const q = encodeURIComponent(`lgtm_system_seq{run="${this.run}",phase="${phase}"}[30m]`);
    const r = await getJson(`${base}/prometheus/api/v1/query?query=${q}&time=${Date.now() / 1000}`, this.readAuth);
    if (r.status !== 200) throw new Error(`Mimir query through the gateway: ${r.status} ${r.text.slice(0, 500)}`);
    const got = new Set<string>();
    for (const s of r.body.data.result as { values: [number, string][] }[]) for (const [t, v] of s.values) got.add(`${Math.round(t * 1000)}:${v}`);
    const missing = want.filter((w) => !got.has(`${w.ts}:${w.value}`)).map((w) => `seq ${w.value} at ${new Date(w.ts).toISOString()}`);
    return { acknowledged: want.length, readable: want.length - missing.length, missing };
  }

  /** Every acknowledged log line of the phase, read back with a query_range over the last 30 minutes. */
  async readLogs(base: string, phase: string): Promise<Readback> {
    const want = this.acked.get(phase)?.logs ?? [];
    const q = encodeURIComponent(selector({ run: this.run, phase }));
    const end = BigInt(Date.now() + 60_000) * 1_000_000n;
    const start = end - 31n * 60n * 1_000_000_000n;
    const r = await getJson(`${base}/loki/api/v1/query_range?query=${q}&start=${start}&end=${end}&limit=5000&direction=forward`, this.readAuth);
    if (r.status !== 200) throw new Error(`Loki query through the gateway: ${r.status} ${r.text.slice(0, 500)}`);
    const got = new Set<string>();
    for (const s of r.body.data.result as { values: [string, string][] }[]) for (const [, line] of s.values) got.add(line);
    const missing = want.filter((w) => !got.has(w.line)).map((w) => w.line);
    return { acknowledged: want.length, readable: want.length - missing.length, missing };
  }

  /** Traces already read back (by id): a later read of the same phase asks only for the others. */
  private readonly tracesRead = new Set<string>();

  /**
   * Every acknowledged trace of the phase, found by id. A trace found once is not asked for again
   * (each lookup range-reads every block from the object store, which the tier's in-process S3 server
   * answers slowly when the machine is loaded: Tempo then answers 500 "context deadline exceeded",
   * which counts as not readable, and the caller asks again).
   */
  async readTraces(base: string, phase: string): Promise<Readback> {
    const want = this.acked.get(phase)?.traces ?? [];
    const missing: string[] = [];
    const ask = want.filter((id) => !this.tracesRead.has(id));
    for (let i = 0; i < ask.length; i += 4) {
      const batch = ask.slice(i, i + 4);
      const found = await Promise.all(batch.map(async (id) => (await getJson(`${base}/tempo/api/traces/${id}`, this.readAuth)).status === 200));
      batch.forEach((id, j) => {
        if (found[j]) this.tracesRead.add(id);
        else missing.push(id);
      });
    }
    return { acknowledged: want.length, readable: want.length - missing.length, missing };
  }
}
