/**
 * A reading of a synthesized `aws_wafv2_web_acl` as WAF evaluates it for one request: which rules
 * look at the request at all (rate-based rules' and managed rule groups' scope-down statements:
 * `byte_match_statement`, `regex_match_statement` on the URI path, `not_statement`, `or_statement`,
 * `and_statement`) and what a managed rule group's overrides turn a rule's action into. Only what
 * this project's web ACL uses is read; anything else throws, so a new statement kind cannot pass
 * unread. Used by test/waf.test.ts to prove at synth level which requests the web ACL may block.
 */
type Block = Record<string, any>;

export interface WafRequest {
  /** Raw URI path, as the ALB receives it. */
  readonly path: string;
}

const single = (v: unknown): Block => (Array.isArray(v) ? v[0] : (v as Block));

/** The URI path with the statement's text transformations (only NONE and LOWERCASE are used). */
function transformed(path: string, statement: Block): string {
  return [statement.text_transformation ?? []].flat().reduce((p: string, t: Block) => {
    if (t.type === "NONE") return p;
    if (t.type === "LOWERCASE") return p.toLowerCase();
    throw new Error(`text transformation ${t.type} is not read by test/support/waf.ts`);
  }, path);
}

/** Whether a statement matches the request. */
export function matches(statement: Block, request: WafRequest): boolean {
  const kinds = Object.keys(statement);
  if (kinds.length !== 1) throw new Error(`a statement has one kind, got ${kinds.join(", ")}`);
  const [kind] = kinds;
  const body = single(statement[kind]);
  const onPath = () => {
    if (Object.keys(single(body.field_to_match)).join() !== "uri_path") throw new Error(`${kind} on ${JSON.stringify(body.field_to_match)} is not read by test/support/waf.ts`);
    return transformed(request.path, body);
  };
  switch (kind) {
    case "not_statement":
      return !matches(single(body.statement), request);
    case "or_statement":
      return [body.statement].flat().some((s: Block) => matches(s, request));
    case "and_statement":
      return [body.statement].flat().every((s: Block) => matches(s, request));
    case "regex_match_statement":
      return new RegExp(body.regex_string).test(onPath());
    case "byte_match_statement": {
      const p = onPath();
      const needle = String(body.search_string);
      switch (body.positional_constraint) {
        case "EXACTLY":
          return p === needle;
        case "STARTS_WITH":
          return p.startsWith(needle);
        case "ENDS_WITH":
          return p.endsWith(needle);
        case "CONTAINS":
          return p.includes(needle);
        default:
          throw new Error(`positional constraint ${body.positional_constraint} is not read by test/support/waf.ts`);
      }
    }
    default:
      throw new Error(`statement ${kind} is not read by test/support/waf.ts`);
  }
}

export interface RuleView {
  readonly name: string;
  readonly priority: number;
  /** Rate-based: its limit; managed: the group's name. */
  readonly limit?: number;
  readonly group?: string;
  /** Whether the rule looks at this request (no scope-down, or its scope-down matches). */
  readonly inspects: boolean;
  /** Managed group: the action each overridden rule of the group takes instead of its own. */
  readonly overrides: Readonly<Record<string, string>>;
}

/** Every rule of the web ACL, in priority order, as it stands for one request. */
export function rulesFor(acl: Block, request: WafRequest): RuleView[] {
  return [acl.rule ?? []]
    .flat()
    .map((r: Block): RuleView => {
      const statement = single(r.statement);
      const rate = statement.rate_based_statement ? single(statement.rate_based_statement) : undefined;
      const managed = statement.managed_rule_group_statement ? single(statement.managed_rule_group_statement) : undefined;
      const inner = rate ?? managed;
      if (!inner) throw new Error(`rule ${r.name}: only rate-based and managed rule group statements are read by test/support/waf.ts`);
      const scope = inner.scope_down_statement ? single(inner.scope_down_statement) : undefined;
      const overrides = Object.fromEntries(
        [managed?.rule_action_override ?? []].flat().map((o: Block) => [String(o.name), Object.keys(single(o.action_to_use))[0]]),
      );
      return {
        name: String(r.name),
        priority: Number(r.priority),
        limit: rate ? Number(rate.limit) : undefined,
        group: managed ? String(managed.name) : undefined,
        inspects: scope ? matches(scope, request) : true,
        overrides,
      };
    })
    .sort((a, b) => a.priority - b.priority);
}
