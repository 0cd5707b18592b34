import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getOperationAST,
} from 'graphql';
import type { Clock } from '../clock';
import { LEVEL_DEPTH } from '../modules/region/region.entity';
import type { FigureStats, ReadStats, SubtreeCounts } from '../modules/progress/read-stats';
import { LimitExceededError } from './limits';
import { MAX_PAGE_SIZE } from '../common/connection';

/**
 * What one progress key (indicator × region × day) costs beside the rows it reads, in rows: the
 * lateral look-ups of the roll-up, a Progress built, judged, executed and serialised. Measured on
 * the demo: about 200 µs of server time per key against about 1–3 µs per figure read.
 */
export const KEY_COST = 200;
/** A page of a connection when the query gives no `first`. */
const DEFAULT_PAGE = 50;

type Parent = GraphQLObjectType | GraphQLInterfaceType;

/** A subtree the progress fields stand in: the region's counts, how deep below it, how many of it. */
interface Scope {
  counts: SubtreeCounts | null;
  depth: number;
  /** How many times the progress field is asked (indicators × aliases × pages above). */
  base: number;
  /** Figures read per reporter for a history: the average, at most one a day of the year to asOf. */
  figures: number;
  /** The progress field's path and what it prices, for the message. */
  part: Part;
  /** The path below the progress field, for the message. */
  below: string;
}

interface Part {
  label: string;
  total: number;
  fields: Map<string, number>;
}

export interface ReadCostResult {
  total: number;
  /** Progress fields, costliest first. */
  parts: Part[];
}

/** Days from 1 January of the day's year to the day, both counted (1 to 366). */
function dayOfYear(day: string): number {
  const at = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(at)) return 366;
  return Math.floor((at - Date.UTC(new Date(at).getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

function argumentsOf(node: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const a of node.arguments ?? []) args[a.name.value] = valueFromASTUntyped(a.value, variables);
  return args;
}

/** The region a field names: `region`, or `input.region`. */
function regionOf(args: Record<string, unknown>): string | undefined {
  if (typeof args.region === 'string') return args.region;
  const input = args.input as { region?: unknown } | undefined;
  return input && typeof input === 'object' && typeof input.region === 'string' ? input.region : undefined;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Prices what an operation makes PostgreSQL read through the progress fields, before it runs:
 * `progress` reads the latest figure of every reporter below its region, `history` and `forecast`
 * every figure of theirs (figures per reporter × reporters), `children` the same one level down,
 * `allocation` the targets of the children; every key (indicator × region × day) costs KEY_COST
 * besides. The reporters below a region are the largest count of regions at a level indicators
 * report at, from the tree's level counts. Lists multiply: `programmes`, `indicators` (the most a
 * programme has), a connection's `first`, aliases.
 */
export class ReadCost {
  constructor(private readonly stats: ReadStats, private readonly clock: () => Clock) {}

  async estimate(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined | null, variables: Record<string, unknown> = {}): Promise<ReadCostResult> {
    const operation = getOperationAST(document, operationName);
    if (!operation) return { total: 0, parts: [] };
    const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
    const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    if (!root) return { total: 0, parts: [] };
    const regions = this.regionsNamed(operation, fragments, variables);
    if (regions.size === 0) return { total: 0, parts: [] };
    const [stats, counts] = await Promise.all([this.stats.figureStats(), this.stats.subtreeCounts([...regions])]);
    const parts: Part[] = [];
    const walk = new Walk(schema, fragments, variables, stats, counts, this.clock().today(), parts);
    walk.selectionSet(root, operation.selectionSet, 1, undefined, '', undefined, undefined);
    parts.sort((a, b) => b.total - a.total);
    return { total: parts.reduce((a, p) => a + p.total, 0), parts };
  }

  /** The refusal of an operation that would read more than `max` rows, before it runs; undefined when within. */
  async check(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined | null, variables: Record<string, unknown> | undefined, max: number): Promise<LimitExceededError | undefined> {
    const result = await this.estimate(schema, document, operationName, variables ?? {});
    return result.total > max ? new LimitExceededError('reads', max, ReadCost.describe(result, max)) : undefined;
  }

  /** Every region named by a field with a `region` (or `input.region`) argument; none: nothing to price. */
  private regionsNamed(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, variables: Record<string, unknown>): Set<string> {
    const found = new Set<string>();
    const seen = new Set<string>();
    const visit = (set: SelectionSetNode) => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          const region = regionOf(argumentsOf(s, variables));
          if (region !== undefined && region.length <= 64) found.add(region);
          if (s.selectionSet) visit(s.selectionSet);
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          visit(s.selectionSet);
        } else if (!seen.has(s.name.value)) {
          seen.add(s.name.value);
          const f = fragments.get(s.name.value);
          if (f) visit(f.selectionSet);
        }
      }
    };
    visit(operation.selectionSet);
    return found;
  }

  /** The message of a refusal: the total, then the costliest parts and what each costs. */
  static describe(result: ReadCostResult, max: number): string {
    const shown = result.parts.slice(0, 3).map((p) => `${p.label}: ${fmt(p.total)} (${[...p.fields].map(([f, n]) => `${f} ${fmt(n)}`).join(', ')})`);
    const more = result.parts.length > shown.length ? `; and ${result.parts.length - shown.length} more progress fields` : '';
    return `The query would make PostgreSQL read about ${fmt(result.total)} rows, over the limit of ${fmt(max)} `
      + `(each indicator × region × day ${KEY_COST}, plus the figures of the reporters below): ${shown.join('; ')}${more}`;
  }
}

class Walk {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly stats: FigureStats,
    private readonly counts: Map<string, SubtreeCounts | null>,
    private readonly today: string,
    private readonly parts: Part[],
  ) {}

  /** Regions at `depth` below the scope's region, all of them (1 at the region itself). */
  private nodes(scope: Scope, depth: number): number {
    if (!scope.counts) return depth === 0 ? 1 : 0;
    return scope.counts.byDepth[depth] ?? 0;
  }

  /** The reporters of one indicator at or below `depth`: the largest count of a reporting level there. */
  private reporters(scope: Scope, depth: number): number {
    if (!scope.counts) return 0;
    const top = LEVEL_DEPTH[scope.counts.level] + depth;
    let most = 0;
    for (const level of this.stats.reportingLevels) {
      if (LEVEL_DEPTH[level] >= top) most = Math.max(most, scope.counts.byLevel[level] ?? 0);
    }
    return most;
  }

  private charge(scope: Scope, field: string, cost: number): void {
    scope.part.total += cost;
    const name = scope.below ? `${scope.below}.${field}` : field;
    scope.part.fields.set(name, (scope.part.fields.get(name) ?? 0) + cost);
  }

  selectionSet(parent: Parent, set: SelectionSetNode, times: number, scope: Scope | undefined, path: string, region: string | undefined, programme: string | undefined): void {
    let historyRead = false;
    const fields: { node: FieldNode; parent: Parent }[] = [];
    const collect = (type: Parent, s: SelectionSetNode) => {
      for (const selection of s.selections) {
        if (selection.kind === Kind.FIELD) {
          fields.push({ node: selection, parent: type });
        } else {
          // Validation has refused fragment cycles.
          const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value);
          if (!fragment) continue;
          const named = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : type;
          collect(named && (isObjectType(named) || isInterfaceType(named)) ? named : type, fragment.selectionSet);
        }
      }
    };
    collect(parent, set);
    for (const { node, parent: type } of fields) {
      const name = node.name.value;
      const definition = type.getFields()[name];
      if (!definition) continue;
      const key = node.alias?.value ?? name;
      const here = path ? `${path}.${key}` : key;
      const args = argumentsOf(node, this.variables);
      const target = getNamedType(definition.type);
      const inner = node.selectionSet && (isObjectType(target) || isInterfaceType(target)) ? target : undefined;
      const fieldRegion = regionOf(args) ?? region;
      const fieldProgramme = name === 'programme' && typeof args.code === 'string' ? args.code : programme;
      if (type.name === 'Progress' && scope) {
        const d = scope.depth;
        if (name === 'history' || name === 'forecast') {
          if (!historyRead) {
            historyRead = true;
            this.charge(scope, name, scope.base * (this.nodes(scope, d) * KEY_COST + this.reporters(scope, d) * scope.figures));
          }
          continue;
        }
        if (name === 'allocation') {
          this.charge(scope, name, scope.base * (this.nodes(scope, d) * KEY_COST + this.nodes(scope, d + 1)));
          continue;
        }
        if (name === 'children') {
          this.charge(scope, name, scope.base * (this.nodes(scope, d + 1) * KEY_COST + this.reporters(scope, d + 1)));
          if (inner) this.selectionSet(inner, node.selectionSet!, times, { ...scope, depth: d + 1, below: scope.below ? `${scope.below}.children` : 'children' }, here, fieldRegion, fieldProgramme);
          continue;
        }
      }
      let next = times;
      if (target.name === 'Progress' && !(type.name === 'Progress' && scope)) {
        // A progress field: a new scope, in the region it names (or the nearest region above).
        const code = fieldRegion;
        const asOf = typeof args.asOf === 'string' ? args.asOf : this.today;
        const part: Part = { label: `${here}${code !== undefined ? ` in ${code}` : ''} as of ${asOf}, ×${fmt(times)}`, total: 0, fields: new Map() };
        this.parts.push(part);
        const s: Scope = {
          counts: code === undefined ? null : this.counts.get(code) ?? null,
          depth: 0,
          base: times,
          figures: Math.min(this.stats.figuresPerReporter, dayOfYear(asOf)),
          part,
          below: '',
        };
        this.charge(s, name, times * (KEY_COST + this.reporters(s, 0)));
        if (inner) this.selectionSet(inner, node.selectionSet!, times, s, here, code, fieldProgramme);
        continue;
      }
      // Out of a progress scope (its region, indicator, target): once per key of it.
      const leaving = scope && type.name === 'Progress';
      if (leaving) next = scope.base * Math.max(1, this.nodes(scope, scope.depth));
      if (isListType(getNullableType(definition.type))) {
        next *= this.listSize(type.name, name, args, fieldProgramme);
      } else if (definition.args.some((a) => a.name === 'first' || a.name === 'last')) {
        // A connection: its page.
        next *= Math.min(MAX_PAGE_SIZE, Math.max(0, Number(args.first ?? args.last ?? DEFAULT_PAGE) || 0));
      }
      if (inner) this.selectionSet(inner, node.selectionSet!, next, leaving ? undefined : scope, here, fieldRegion, fieldProgramme);
    }
  }

  /** How many items a list field gives, at most. */
  private listSize(type: string, field: string, args: Record<string, unknown>, programme: string | undefined): number {
    if (field === 'programmes') return Math.max(1, this.stats.programmes);
    if (field === 'indicators') {
      // One programme's (named by `programme(code:)` above, or `indicators(programme:)`), else the most any has; all of them.
      const code = type === 'Query' ? args.programme : programme;
      if (typeof code === 'string') return Math.max(1, this.stats.indicatorsOf.get(code) ?? 0);
      return Math.max(1, type === 'Query' ? this.stats.indicators : this.stats.indicatorsPerProgramme);
    }
    if (typeof args.first === 'number' || typeof args.last === 'number') return Math.min(MAX_PAGE_SIZE, Number(args.first ?? args.last));
    return 1;
  }
}
