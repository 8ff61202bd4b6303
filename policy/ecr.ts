/**
 * The ECR repositories the environment's tasks really pull from, read from every container image
 * of every task definition (whatever `image_source` says, the images are what runs):
 * - `${...ecr_repository_urls.<service>}:<tag>` or `${aws_ecr_repository.x.repository_url}:<tag>`:
 *   a repository of the stacks (the `lgtm-*` repositories, `image_source = "ecr"`);
 * - `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>:<tag>`: a pull-through repository
 *   ECR creates on the first pull, under the pull-through cache rule of `<prefix>`, or a repository of
 *   the stacks by its name;
 * - anything else comes from a public registry: no ECR repository is involved.
 * With no task definition in view (a partial run), every repository and rule counts as used.
 */
import { keyOf, targetOf } from "./references";
import type { PolicyEnvironment, TfBlock } from "./types";

export interface PulledRepositories {
  readonly tasksInView: boolean;
  /** aws_ecr_repository keys (`stack:address`) some task pulls from. */
  readonly repositories: ReadonlySet<string>;
  /** Pull-through rule key → the repositories tasks pull through it (`docker-hub/grafana/loki`). */
  readonly pullThrough: ReadonlyMap<string, readonly string[]>;
}

const ECR_HOST = /^(?:\$\{[^}]+\}|\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/(.+)$/;

/** `grafana/loki:3.7.6@sha256:...` → `grafana/loki`. */
const repositoryPath = (rest: string) => rest.replace(/@sha256:[0-9a-f]+$/, "").replace(/:[^/:]+$/, "");

const cache = new WeakMap<PolicyEnvironment, PulledRepositories>();

/** What the environment's tasks pull (read once per environment of a run). */
export function pulledRepositories(env: PolicyEnvironment): PulledRepositories {
  const cached = cache.get(env);
  if (cached) return cached;
  const read = readPulled(env);
  cache.set(env, read);
  return read;
}

function readPulled(env: PolicyEnvironment): PulledRepositories {
  const repositories = new Set<string>();
  const pullThrough = new Map<string, string[]>();
  let tasksInView = false;
  const rules: [string, string][] = env.stacks.flatMap((s) =>
    Object.entries(s.json.resource?.aws_ecr_pull_through_cache_rule ?? {}).map(([n, r]) => [`${s.id}:aws_ecr_pull_through_cache_rule.${n}`, String(r.ecr_repository_prefix)] as [string, string]),
  );
  const named: [string, string][] = env.stacks.flatMap((s) =>
    Object.entries(s.json.resource?.aws_ecr_repository ?? {}).map(([n, r]) => [`${s.id}:aws_ecr_repository.${n}`, String(r.name)] as [string, string]),
  );
  for (const stack of env.stacks) {
    for (const task of Object.values(stack.json.resource?.aws_ecs_task_definition ?? {})) {
      tasksInView = true;
      let list: TfBlock[] = [];
      try {
        const parsed = JSON.parse(String(task.container_definitions));
        if (Array.isArray(parsed)) list = parsed;
      } catch {
        // a reference: nothing to read
      }
      for (const c of list) {
        const image = typeof c.image === "string" ? c.image : "";
        const ref = /^(\$\{[^}]+\})(?::[^/]*|@sha256:[0-9a-f]+)?$/.exec(image);
        const t = ref ? targetOf(env, stack, ref[1]) : undefined;
        if (t?.address.startsWith("aws_ecr_repository.")) {
          repositories.add(keyOf(t));
          continue;
        }
        const m = ECR_HOST.exec(image);
        if (!m) continue;
        const path = repositoryPath(m[1]);
        const rule = rules.find(([, prefix]) => path.startsWith(`${prefix}/`));
        if (rule) pullThrough.set(rule[0], [...new Set([...(pullThrough.get(rule[0]) ?? []), path])].sort());
        for (const [key, name] of named) if (name === path) repositories.add(key);
      }
    }
  }
  return { tasksInView, repositories, pullThrough };
}

/** A pull-through prefix matched by an ECR wildcard filter (`docker-hub/*`, `*`). */
export const filterMatches = (filter: string, repository: string) =>
  new RegExp(`^${filter.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(repository);
