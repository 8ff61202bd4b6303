/**
 * Every reference in a synthesized layer stack names something that stack declares.
 *
 * Layers never reference each other's resources: a layer reads what another publishes through
 * `terraform_remote_state` (stacks/contract.ts). LayerStack therefore skips cdktf's "preparing"
 * resolve, which exists only to turn such cross-stack references into outputs and remote state (a
 * second pass over every value, a third of cdktf's synth time). Were a construct to reference
 * another layer's resource anyway, its reference would come out naming a resource this stack does not
 * declare: this check fails synth on it, naming the stack, the address and where it was found.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `${ ... }` expressions, not their `$${` escapes. */
const EXPRESSION = /(?<!\$)\$\{([^}]*)\}/g;
/** `type.name` or `data.type.name` at the start of a traversal (resource types are `<provider>_<kind>`). */
const TRAVERSAL = /(?<![\w.\]"])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g;

export interface ForeignReference {
  /** Where in the stack's JSON, e.g. `resource.aws_lb.public_alb.subnets`. */
  readonly at: string;
  /** The address referenced, e.g. `aws_subnet.network_public_0`. */
  readonly address: string;
}

/** References in one stack's JSON to resources or data sources it does not declare. */
export function foreignReferences(stack: Readonly<Record<string, Json>>): ForeignReference[] {
  const declared = new Set<string>();
  for (const [kind, prefix] of [["resource", ""], ["data", "data."]] as const) {
    const blocks = stack[kind];
    if (!isObject(blocks)) continue;
    for (const [type, byName] of Object.entries(blocks)) if (isObject(byName)) for (const name of Object.keys(byName)) declared.add(`${prefix}${type}.${name}`);
  }
  return references(stack).filter((r) => !declared.has(r.address));
}

/** Every resource or data source address the stack's expressions and `depends_on` lists name. */
export function referencedAddresses(stack: Readonly<Record<string, Json>>): string[] {
  return [...new Set(references(stack).map((r) => r.address))].sort();
}

function references(stack: Readonly<Record<string, Json>>): ForeignReference[] {
  const found: ForeignReference[] = [];
  const visit = (value: Json, at: string, key: string): void => {
    if (typeof value === "string") {
      // depends_on lists bare addresses ("aws_iam_role.x"); everything else refers inside "${...}".
      const expressions = key === "depends_on" ? [value.replace(/^\$\{(.*)\}$/, "$1")] : [...value.matchAll(EXPRESSION)].map((m) => m[1]);
      const addresses = expressions.flatMap((e) => [...e.matchAll(TRAVERSAL)].map((t) => `${t[1] ?? ""}${t[2]}.${t[3]}`));
      for (const address of addresses) found.push({ at, address });
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${at}[${i}]`, key));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) visit(v, at ? `${at}.${k}` : k, k);
  };
  for (const kind of ["resource", "data", "output", "locals", "import"]) if (stack[kind] !== undefined) visit(stack[kind], kind, kind);
  return found;
}

function isObject(v: unknown): v is Record<string, Json> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}
