/**
 * What producers and Grafana send through the gateway, built by hand so that no client library
 * decides for the test: a Prometheus remote-write request (protobuf, snappy block format), a Loki
 * push (JSON), an OTLP/HTTP JSON trace export, the query APIs, and a minimal websocket client for
 * Loki's live tail (Node 20 has no WebSocket client).
 */
import * as crypto from "node:crypto";
import * as net from "node:net";

export const basicAuth = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

// ---- protobuf (only what remote write needs) ----
function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const field = (no: number, wire: number) => varint((no << 3) | wire);
const bytesField = (no: number, b: Buffer) => Buffer.concat([field(no, 2), varint(b.length), b]);
const stringField = (no: number, s: string) => bytesField(no, Buffer.from(s, "utf8"));
function doubleField(no: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([field(no, 1), b]);
}
const int64Field = (no: number, v: number) => Buffer.concat([field(no, 0), varint(v)]);

/**
 * Snappy's block format with literals only: a valid stream every decoder accepts (compression is
 * optional in the format; literal runs of up to 2^32 bytes are allowed).
 */
export function snappyLiteral(data: Buffer): Buffer {
  const parts: Buffer[] = [varint(data.length)];
  for (let off = 0; off < data.length; off += 65536) {
    const chunk = data.subarray(off, Math.min(off + 65536, data.length));
    const n = chunk.length - 1;
    if (n < 60) parts.push(Buffer.from([n << 2]));
    else if (n < 256) parts.push(Buffer.from([60 << 2, n]));
    else parts.push(Buffer.from([61 << 2, n & 0xff, n >> 8]));
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export interface Series {
  labels: Record<string, string>;
  samples: { value: number; timestampMs: number }[];
}

export function remoteWriteBody(series: readonly Series[]): Buffer {
  const ts = series.map((s) => {
    const labels = Object.entries(s.labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => bytesField(1, Buffer.concat([stringField(1, k), stringField(2, v)])));
    const samples = s.samples.map((x) => bytesField(2, Buffer.concat([doubleField(1, x.value), int64Field(2, x.timestampMs)])));
    return bytesField(1, Buffer.concat([...labels, ...samples]));
  });
  return snappyLiteral(Buffer.concat(ts));
}

export async function remoteWrite(base: string, auth: string | undefined, series: readonly Series[]): Promise<Response> {
  return fetch(`${base}/api/v1/push`, {
    method: "POST",
    headers: {
      ...(auth ? { authorization: auth } : {}),
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
    },
    body: new Uint8Array(remoteWriteBody(series)),
    signal: AbortSignal.timeout(20_000),
  });
}

export async function getJson(url: string, auth: string | undefined): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

// ---- Loki ----
export interface LogStream {
  labels: Record<string, string>;
  lines: { tsNs: bigint; line: string }[];
}

export const lokiPushBody = (streams: readonly LogStream[]): string =>
  JSON.stringify({ streams: streams.map((s) => ({ stream: s.labels, values: s.lines.map((l) => [l.tsNs.toString(), l.line]) })) });

export async function lokiPush(base: string, auth: string | undefined, body: string | readonly LogStream[]): Promise<Response> {
  return fetch(`${base}/loki/api/v1/push`, {
    method: "POST",
    headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/json" },
    body: typeof body === "string" ? body : lokiPushBody(body),
    signal: AbortSignal.timeout(60_000),
  });
}

export const selector = (labels: Record<string, string>) => `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;

// ---- OTLP traces ----
export const randomHex = (bytes: number) => crypto.randomBytes(bytes).toString("hex");

export function otlpTraceBody(traceId: string, service: string, name: string, startMs: number): string {
  const start = BigInt(startMs) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: "lgtm-system-test" },
            spans: [{ traceId, spanId: randomHex(8), name, kind: 2, startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 5_000_000n).toString() }],
          },
        ],
      },
    ],
  });
}

export async function otlpTraces(base: string, auth: string | undefined, body: string): Promise<Response> {
  return fetch(`${base}/otlp/v1/traces`, {
    method: "POST",
    headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(20_000),
  });
}

// ---- websocket (RFC 6455, client side, text frames) ----
export interface WsConnection {
  /** HTTP status of the handshake (101 when upgraded). */
  readonly status: number;
  /** Text messages received so far. */
  readonly messages: string[];
  close(): void;
}

/** Opens a websocket to `url` (ws://host:port/path) with extra request headers; resolves after the handshake. */
export function openWebsocket(url: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<WsConnection> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 80) });
    const key = crypto.randomBytes(16).toString("base64");
    const messages: string[] = [];
    let buf = Buffer.alloc(0);
    let status = 0;
    let fragments: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`websocket ${url}: no handshake answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const conn: WsConnection = {
      get status() {
        return status;
      },
      messages,
      close: () => socket.destroy(),
    };
    socket.once("connect", () => {
      const lines = [
        `GET ${u.pathname}${u.search} HTTP/1.1`,
        `Host: ${u.host}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`,
        "Sec-WebSocket-Version: 13",
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        "",
        "",
      ];
      socket.write(lines.join("\r\n"));
    });
    socket.on("error", (e) => {
      clearTimeout(timer);
      if (status === 0) reject(e);
    });
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (status === 0) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString("latin1");
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? -1);
        buf = buf.subarray(end + 4);
        clearTimeout(timer);
        if (status !== 101) {
          // Keep the body (an error message) for the caller.
          setTimeout(() => {
            messages.push(buf.toString("utf8"));
            socket.destroy();
            resolve(conn);
          }, 200);
          return;
        }
        resolve(conn);
      }
      if (status !== 101) return;
      // Server frames are unmasked.
      for (;;) {
        if (buf.length < 2) return;
        const fin = (buf[0] & 0x80) !== 0;
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 0x1 || opcode === 0x0) {
          fragments.push(payload);
          if (fin) {
            messages.push(Buffer.concat(fragments).toString("utf8"));
            fragments = [];
          }
        } else if (opcode === 0x8) {
          socket.destroy();
          return;
        } else if (opcode === 0x9) {
          // ping → pong (masked, as a client must)
          const mask = crypto.randomBytes(4);
          const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
          socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length]), mask, masked]));
        }
      }
    });
  });
}
