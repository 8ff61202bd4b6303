/**
 * The ECS task metadata endpoint v4, as Fargate serves it to every container of a task: ECS sets
 * `ECS_CONTAINER_METADATA_URI_V4` in each container (`http://169.254.170.2/v4/<id>` on Fargate), and
 * `GET $ECS_CONTAINER_METADATA_URI_V4/task` answers the task's metadata as JSON, among it
 * `AvailabilityZone` (the zone-aware rings' config delivery reads it: modules/config-delivery).
 *
 * Here one HTTP server on the tier's bridge (or the loopback in unit tests) answers for every task,
 * each under its own path; the URI handed to a task is what matters, not the link-local address. The
 * fields are those of the v4 task response (AWS ECS developer guide, "Task metadata v4 JSON
 * response"), filled from the task's id, family and the AZ the tier placed it in; nothing else.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface TaskMetadata {
  /** The AZ ECS placed the task in (empty: the endpoint answers without one, as a broken platform would). */
  readonly availabilityZone: string;
  /** Task definition family. */
  readonly family: string;
}

export interface TaskMetadataServer {
  readonly port: number;
  /** Registers a task and returns the `ECS_CONTAINER_METADATA_URI_V4` its containers get. */
  register(taskId: string, task: TaskMetadata): string;
  /** Drops a task (a stopped task's endpoint answers 404). */
  unregister(taskId: string): void;
  /** Requests answered per task id (for assertions that the endpoint was asked). */
  readonly requests: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

export async function startTaskMetadata(opts: { address: string; cluster: string; region: string; account?: string }): Promise<TaskMetadataServer> {
  const tasks = new Map<string, TaskMetadata>();
  const requests = new Map<string, number>();
  const account = opts.account ?? "123456789012";
  const server = http.createServer((req, res) => {
    const m = /^\/v4\/([A-Za-z0-9_.-]+)(\/task)?$/.exec((req.url ?? "").split("?")[0]);
    const task = m ? tasks.get(m[1]) : undefined;
    if (req.method !== "GET" || !m || !task) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    requests.set(m[1], (requests.get(m[1]) ?? 0) + 1);
    const taskArn = `arn:aws:ecs:${opts.region}:${account}:task/${opts.cluster}/${m[1]}`;
    const container = { DockerId: `${m[1]}-config`, Name: "config", Image: "busybox", Labels: { "com.amazonaws.ecs.task-arn": taskArn }, DesiredStatus: "RUNNING", KnownStatus: "RUNNING" };
    const body = m[2]
      ? {
          Cluster: `arn:aws:ecs:${opts.region}:${account}:cluster/${opts.cluster}`,
          TaskARN: taskArn,
          Family: task.family,
          Revision: "1",
          DesiredStatus: "RUNNING",
          KnownStatus: "RUNNING",
          LaunchType: "FARGATE",
          ...(task.availabilityZone ? { AvailabilityZone: task.availabilityZone } : {}),
          Containers: [container],
        }
      : container;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, opts.address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    register(taskId, task) {
      tasks.set(taskId, task);
      return `http://${opts.address}:${port}/v4/${taskId}`;
    },
    unregister(taskId) {
      tasks.delete(taskId);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
