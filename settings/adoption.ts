/**
 * Adopting an existing deployment: which names this project creates, and which of them the team's
 * previous stack already used (`adopt.previous_names`). A name in both is a create that AWS refuses
 * (AlreadyExists) or, for names AWS does not keep unique, a second resource beside the old one.
 * Adopted resources (`adopt.data_bucket`, `adopt.ecr_repositories`) are imported, not created, so
 * their names are expected to match. Synth prints one warning per other clash (docs/migration.md).
 */
import { SERVICE_NAMES, type ServiceName } from "./components";
import { albName, alertsTopicName, clusterName, ecrRepositoryName, executionRoleName, logGroupName, taskFamily, taskRoleName } from "./names";
import type { Settings } from "./schema";

export interface CreatedName {
  readonly name: string;
  /** What it names, for the warning. */
  readonly what: string;
  /** Imported instead of created. */
  readonly adopted: boolean;
}

/** Names of resources this project creates (or adopts) in the environment's account. */
export function createdNames(s: Settings): CreatedName[] {
  const adoptedRepo = (n: ServiceName) => s.adopt.ecr_repositories.includes(n);
  return [
    { name: s.storage.data_bucket_name, what: "data bucket (30-storage)", adopted: s.adopt.data_bucket },
    { name: s.state_backend.bucket, what: "state bucket (00-bootstrap)", adopted: false },
    { name: clusterName(s), what: "ECS cluster (60-ecs)", adopted: false },
    { name: albName(s), what: "load balancer (50-loadbalancer)", adopted: false },
    { name: alertsTopicName(s), what: "alerts SNS topic (60-ecs)", adopted: false },
    { name: executionRoleName(s), what: "task execution role (40-iam)", adopted: false },
    ...SERVICE_NAMES.filter((n) => s.services[n].enabled).flatMap((n) => [
      // The project's repositories exist only where the tasks pull from them (image_source = "ecr").
      ...(s.image_source === "ecr" ? [{ name: ecrRepositoryName(s, n), what: `${n} ECR repository (30-storage)`, adopted: adoptedRepo(n) }] : []),
      { name: logGroupName(s, n), what: `${n} log group (60-ecs)`, adopted: false },
      { name: taskFamily(s, n), what: `${n} task definition family (60-ecs)`, adopted: false },
      { name: taskRoleName(s, n), what: `${n} task role (40-iam)`, adopted: false },
    ]),
  ];
}

/** One warning per name the previous stack used that this project would create (not adopt). */
export function adoptionWarnings(s: Settings): string[] {
  const previous = new Set(s.adopt.previous_names);
  return createdNames(s)
    .filter((c) => previous.has(c.name) && !c.adopted)
    .map(
      (c) =>
        `${s.env}: adopt.previous_names: "${c.name}" is also the ${c.what} this project creates; the apply would fail on (or sit beside) the previous stack's. ` +
        `Retire the old one first, rename ours, or adopt it where the project can (adopt.data_bucket, adopt.ecr_repositories); see docs/migration.md`,
    );
}

/**
 * The clashes of `adoptionWarnings` said once: one warning listing every name, or undefined when
 * there is none (what synth prints).
 */
export function adoptionWarning(s: Settings): string | undefined {
  const previous = new Set(s.adopt.previous_names);
  const clashes = createdNames(s).filter((c) => previous.has(c.name) && !c.adopted);
  if (clashes.length === 0) return undefined;
  const one = clashes.length === 1;
  return (
    `${s.env}: adopt.previous_names: ${one ? "1 name" : `${clashes.length} names`} of the previous stack ${one ? "is" : "are"} also ${one ? "a name" : "names"} this project creates: ` +
    `${clashes.map((c) => `"${c.name}" (${c.what.replace(/ \((.*)\)$/, ", $1")})`).join(", ")}; the apply would fail on (or sit beside) the previous stack's. ` +
    `Retire the old ${one ? "one" : "ones"} first, rename ours, or adopt ${one ? "it" : "them"} where the project can (adopt.data_bucket, adopt.ecr_repositories); see docs/migration.md`
  );
}
