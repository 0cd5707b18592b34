import { createSourceEventStream, execute, getOperationAST, print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { createContext } from './context';
import type { Context, Services } from '../core/context';
import type { Metrics } from './ops/metrics';
import { authorizationKey, SharedExecution, type Receiver, type SharedMember, type SharedPayload } from './shared-execution';
import { SocketSessions, type Authenticate, type SocketSession } from './socket-sessions';

/** The context of an operation on a live connection (a WebSocket or an event stream). */
export type LiveContext = Context & {
  /** The connection's session: its current rights, read at every event too. */
  socketSession?: SocketSession;
  /**
   * Writes an event's serialised payload (with its cursor) directly to the connection, as its
   * transport frames it; absent, events are yielded. A promise: wait for it before the next.
   */
  frames?: (payload: Buffer, cursor: string) => Promise<void> | undefined;
};

/**
 * Bytes a connection may have waiting to be written before its subscriber is held back (its
 * events then wait in its own queue, where a board's figures are merged): WebSocket and SSE alike.
 */
export const HOLD_BACK_BYTES = 16 * 1024;

export interface LiveOptions {
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  authenticate: Authenticate;
  metrics?: Metrics;
}

/**
 * What WebSocket and Server-Sent Events share: the sessions of live connections (rechecked on
 * every operation and when an account changes) and the shared execution of subscription events.
 */
export interface Live {
  sessions: SocketSessions;
  shared: SharedExecution;
  /** graphql-js's subscribe, with each event executed once per selection and authorization. */
  subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
}

export function createLive(services: Services, options: LiveOptions): Live {
  const shared = new SharedExecution(() => options.metrics?.eventExecuted());
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));
  const sessions = new SocketSessions(services.events, options.authenticate, (error) => options.formatError(error.toJSON(), error));

  /** An event executed for a group, its errors formatted and the whole serialised: once for all its subscribers. */
  async function executeShared(args: ExecutionArgs, payload: { operationName?: string | null; query: string }): Promise<SharedPayload> {
    const result = await execute(args);
    if (!result.errors) return { result, bytes: Buffer.from(JSON.stringify(result)) };
    const errors = formatAll(result.errors);
    options.metrics?.subscriptionErrors(payload, errors);
    const formatted = { ...result, errors } as unknown as ExecutionResult;
    return { result: formatted, bytes: Buffer.from(JSON.stringify(formatted)) };
  }

  async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const { after: _after, ...variables } = (args.variableValues ?? {}) as Record<string, unknown>;
    const { socketSession } = args.contextValue as LiveContext;
    const operation = getOperationAST(args.document, args.operationName);
    const root = operation?.selectionSet.selections[0];
    const metricsPayload = { operationName: args.operationName ?? operation?.name?.value, query: '' };
    // A board's events are the same for everyone who may read the board; other streams are a user's own.
    const perUser = !(root?.kind === 'Field' && root.name.value === 'boardEvents');
    const member = shared.join(`${printed(args.document)}|${args.operationName ?? ''}|${JSON.stringify(variables)}`,
      () => authorizationKey(socketSession?.auth, perUser));
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    return new SharedSubscription(deps, args, iterator, member, metricsPayload);
  }

  const deps: Deps = { services, metrics: options.metrics, executeShared };
  return { sessions, shared, subscribe: sharedSubscribe };
}

interface Deps {
  services: Services;
  metrics?: Metrics;
  executeShared(args: ExecutionArgs, payload: { operationName?: string | null; query: string }): Promise<SharedPayload>;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** A source that gives its events without a promise each once live (follow.ts's Follower). */
interface Pollable {
  readonly isLive: boolean;
  poll(ready: () => void): IteratorResult<unknown> | undefined;
}

function pollable(iterator: AsyncIterator<unknown>): Pollable | undefined {
  return typeof (iterator as Partial<Pollable>).poll === 'function' ? iterator as unknown as Pollable : undefined;
}

/**
 * One subscription's events, each executed once for its group (SharedExecution) with a context of
 * its own per event (a fresh identity map, the connection's session as it stands now). On a
 * WebSocket the group's serialised bytes are written with this subscription's id (graphql-ws's
 * own message, without a JSON.stringify per socket) and the next event taken in the same turn:
 * `next()` stays pending while the subscription runs, and an event costs a subscriber that keeps
 * up no promise at all (the source is polled, the payload taken as executed, the frame written).
 * An event stream (Server-Sent Events) writes its frames the same way, numbered by the cursor.
 * Without `frames` each result is yielded. A class with its callbacks made once:
 * an idle subscription holds one pending promise.
 */
class SharedSubscription implements AsyncIterableIterator<ExecutionResult>, Receiver {
  private resolve: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;
  /** The event being taken, for `execute` (called, if at all, within `member.result`). */
  private event: { cursor: string } | undefined;
  private readonly source: Pollable | undefined;
  private readonly resume = (): void => this.pump();
  readonly fail = (error: unknown): void => {
    const reject = this.reject;
    this.resolve = this.reject = undefined;
    reject?.(error);
  };
  private readonly onStep = (step: IteratorResult<unknown>): void => { if (this.take(step)) this.pump(); };
  private readonly execute = (): Promise<SharedPayload> => {
    const { socketSession } = this.args.contextValue as LiveContext;
    return this.deps.executeShared({ ...this.args, rootValue: this.event, contextValue: createContext(this.deps.services, socketSession?.auth) }, this.metricsPayload);
  };

  constructor(
    private readonly deps: Deps,
    private readonly args: ExecutionArgs,
    private readonly iterator: AsyncIterator<unknown>,
    private readonly member: SharedMember,
    private readonly metricsPayload: { operationName?: string | null; query: string },
  ) {
    this.source = pollable(iterator);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.pump();
    });
  }

  /** Takes events until one is to be yielded, the end, or a wait (for the source, an execution, or a socket's backlog). */
  private pump(): void {
    try {
      for (;;) {
        if (!this.source?.isLive) {
          this.iterator.next().then(this.onStep, this.fail);
          return;
        }
        const step = this.source.poll(this.resume);
        if (!step || !this.take(step)) return;
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** One step of the source: true to go on at once (its frame is written). */
  private take(step: IteratorResult<unknown>): boolean {
    if (step.done) {
      this.member.leave();
      this.settle(DONE);
      return false;
    }
    this.event = step.value as { cursor: string };
    // Executed already for the group: taken as it is; else handed over (deliver) once it is.
    const payload = this.member.result(this.event.cursor, this.execute, this);
    return payload ? this.send(payload) : false;
  }

  /** The group's payload, executed after this subscription took the event (Receiver). */
  deliver(payload: SharedPayload): void {
    try {
      if (this.send(payload)) this.pump();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Writes or yields a payload: true to go on at once. */
  private send(payload: SharedPayload): boolean {
    this.deps.metrics?.eventFannedOut();
    const { frames } = this.args.contextValue as LiveContext;
    if (!frames) {
      this.settle({ done: false, value: payload.result });
      return false;
    }
    const held = frames(payload.bytes, this.event!.cursor);
    if (!held) return true;
    held.then(this.resume, this.fail);
    return false;
  }

  private settle(result: IteratorResult<ExecutionResult>): void {
    const resolve = this.resolve;
    this.resolve = this.reject = undefined;
    resolve?.(result);
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.member.leave();
    await this.iterator.return?.();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.member.leave();
    await this.iterator.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}

/** Each document printed once: the subscriptions that share a document (document-cache.ts) share its text. */
const printedText = new WeakMap<DocumentNode, string>();
function printed(document: DocumentNode): string {
  let text = printedText.get(document);
  if (text === undefined) printedText.set(document, (text = print(document)));
  return text;
}
