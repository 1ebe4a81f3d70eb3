import { MCPServerError } from '@mcpkit/types'
import {
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type ElicitRequestFormParams,
  type ElicitResult,
  fromJsonSchema,
  type InputRequest,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type ListRootsResult,
  MissingRequiredClientCapabilityError,
  type ServerContext,
} from '@modelcontextprotocol/server'
import type { ClientInput, ElicitationRequest, InputRequestOptions } from './client-input.js'
import {
  type CarriedAnswer,
  digestOf,
  type RequestStateCodec,
  type RoundState,
  roundStateOf,
} from './request-state.js'
import { declaredCapabilities } from './sdk-contract.js'
import { NO_TRACE, type RequestTrace, type TraceMeta, withTraceMeta } from './tracing.js'

/** The requests a handler may ask the client (server→client on 2025, `input_required` on 2026-07-28). */
export type InputMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list'

/** What the resumed round of a `suspend()` carries. */
export interface Resumption {
  resumeData: unknown
  suspendPayload: unknown
}

/** How a suspended handler's question is asked: its form and its answer's check. */
export interface ResumeForm {
  requestedSchema: Record<string, unknown>
  validate(value: unknown): Promise<{ data: unknown } | { error: string }>
}

/** The key a `suspend()` is asked and answered under. */
export const RESUME_KEY = 'resume'

/** What one run of a handler came to. */
export type RoundOutcome<T> =
  | { kind: 'complete'; value: T }
  | { kind: 'input'; result: InputRequiredResult }

interface Question {
  key: string
  method: InputMethod
  params: Record<string, unknown>
}

const never = new Promise<never>(() => {})

/**
 * One run of a handler (`tools/call`, `prompts/get`, `resources/read`) that may ask the client
 * for input, on either protocol era, from the same code.
 *
 * - On a 2025 session a question is a server→client request and the handler waits for its
 *   answer, as it always did.
 * - On a 2026-07-28 request the handler runs until it asks something it has no answer for;
 *   then the call is answered `input_required` with every question asked so far in this turn.
 *   The client's retry runs the handler again from the top: the n-th question gets the answer
 *   of the n-th question, from this round's `inputResponses` or, for earlier rounds, from the
 *   signed `requestState`, where answers are carried forward (each bound to the digest of its
 *   question, so an answer never reaches a different question).
 * - `suspend(payload)` (`@mastra/mcp` 2.x) asks the tool's `resumeSchema` form on both eras
 *   (on 2025 sessions the SDK's legacy shim asks it over the session) and runs the handler again
 *   with `resumeData`.
 */
export class InputRound {
  readonly era: 'legacy' | 'modern'
  /** The answer to an earlier `suspend()`, when this run resumes one. */
  readonly resumption: Resumption | undefined
  readonly #ctx: ServerContext
  readonly #codec: RequestStateCodec
  readonly #call: { method: string; name: string; args: unknown }
  readonly #state: RoundState | undefined
  readonly #carried: Map<number, CarriedAnswer>
  readonly #answered = new Map<number, CarriedAnswer>()
  readonly #asked: Question[] = []
  readonly #keys = new Set<string>()
  readonly #resumeForm: ResumeForm | undefined
  /** The request's span: questions carry its trace context, so the client's handler joins it. */
  readonly #trace: RequestTrace
  #index = 0
  /** Questions whose answer is still being looked up. */
  #lookingUp = 0
  #suspension: { payload: unknown } | undefined
  #wake: (() => void) | undefined
  #wakeScheduled = false

  private constructor(options: {
    ctx: ServerContext
    era: 'legacy' | 'modern'
    codec: RequestStateCodec
    call: { method: string; name: string; args: unknown }
    state: RoundState | undefined
    resumeForm: ResumeForm | undefined
    resumption: Resumption | undefined
    trace: RequestTrace
  }) {
    this.#ctx = options.ctx
    this.era = options.era
    this.#codec = options.codec
    this.#call = options.call
    this.#state = options.state
    this.#carried = new Map((options.state?.q ?? []).map((answer) => [answer.i, answer]))
    this.#resumeForm = options.resumeForm
    this.resumption = options.resumption
    this.#trace = options.trace
  }

  /**
   * The round of one call: its `requestState` (already verified by the SDK's seam) checked to
   * belong to this call (else `-32602`), and the answer to a suspended form read: a declined
   * or cancelled form comes back as `{ declined }` (the handler does not run again).
   */
  static async open(options: {
    ctx: ServerContext
    era: 'legacy' | 'modern'
    codec: RequestStateCodec
    method: string
    name: string
    args: unknown
    resumeForm?: ResumeForm | undefined
    /** The request's span (`tracing.ts`); without it, questions carry no trace context. */
    trace?: RequestTrace | undefined
  }): Promise<InputRound | { declined: 'decline' | 'cancel' }> {
    const { ctx, method, name, args } = options
    const state = await roundStateOf(ctx, { method, name, argsDigest: () => digestOf(args ?? {}) })
    let resumption: Resumption | undefined
    if (state?.s) {
      const answer = inputResponse(ctx.mcpReq.inputResponses, RESUME_KEY)
      if (answer.kind === 'elicit') {
        if (answer.action !== 'accept') return { declined: answer.action }
        const checked = options.resumeForm
          ? await options.resumeForm.validate(answer.content ?? {})
          : { data: answer.content ?? {} }
        if ('data' in checked) resumption = { resumeData: checked.data, suspendPayload: state.s.p }
      }
    }
    return new InputRound({
      ctx,
      era: options.era,
      codec: options.codec,
      call: { method, name, args },
      state,
      resumeForm: options.resumeForm,
      resumption,
      trace: options.trace ?? NO_TRACE,
    })
  }

  /** Asks the client; resolves with its answer (on 2026-07-28 possibly in a later run). */
  ask(
    method: 'elicitation/create',
    params: ElicitationRequest,
    options?: InputRequestOptions,
  ): Promise<ElicitResult>
  ask(
    method: 'sampling/createMessage',
    params: CreateMessageRequestParams,
    options?: InputRequestOptions,
  ): Promise<CreateMessageResult>
  ask(method: 'roots/list', params: object, options?: InputRequestOptions): Promise<ListRootsResult>
  ask(method: InputMethod, params: object, options?: InputRequestOptions): Promise<unknown>
  async ask(
    method: InputMethod,
    params: object,
    options: InputRequestOptions = {},
  ): Promise<unknown> {
    const key = options.key
    if (key !== undefined && (typeof key !== 'string' || key === '')) {
      throw new MCPServerError(
        'INVALID_CONFIGURATION',
        'An input request `key` must be a non-empty string.',
      )
    }
    if (this.era === 'legacy') return this.#push(method, params as Record<string, unknown>)
    const index = this.#index++
    let wireKey = key ?? `input-${index}`
    if (this.#keys.has(wireKey) || wireKey === RESUME_KEY) wireKey = `${wireKey}-${index}`
    this.#keys.add(wireKey)
    const question: Question = { key: wireKey, method, params: params as Record<string, unknown> }
    // Questions asked together (Promise.all) are still being looked up: the round ends once all are.
    this.#lookingUp++
    let answer: unknown
    try {
      answer = await this.#answerTo(index, question)
    } finally {
      this.#lookingUp--
    }
    if (answer !== undefined) {
      this.#scheduleWake()
      return answer
    }
    try {
      this.#requireCapability(method)
      this.#asked.push(question)
    } finally {
      // Also when refused: questions asked beside this one still end the run.
      this.#scheduleWake()
    }
    // The run ends here: the client answers, retries, and the next run gets past this line.
    return never
  }

  /** The answer to the `index`-th question: carried from an earlier round, or sent in this one. */
  async #answerTo(index: number, question: Question): Promise<unknown> {
    const digest = await digestOf({ method: question.method, params: question.params })
    const carried = this.#carried.get(index)
    if (carried && carried.k === question.key && carried.d === digest) {
      this.#answered.set(index, carried)
      return carried.r
    }
    const fresh = await this.#freshAnswer(question)
    if (fresh !== undefined) {
      this.#answered.set(index, { i: index, k: question.key, d: digest, r: fresh })
    }
    return fresh
  }

  /** Records a `suspend(payload)`: the call is answered with the tool's `resumeSchema` form. */
  suspend(payload: unknown): void {
    this.#suspension = { payload }
    // A tool that awaits something else after suspend() would never return: end the run anyway.
    this.#scheduleWake()
  }

  /** Runs the handler once; the outcome is its value or the `input_required` answer to give. */
  async run<T>(handler: () => Promise<T> | T): Promise<RoundOutcome<T>> {
    if (this.#state?.s && !this.resumption) {
      // A suspend() whose form came back missing or invalid: ask it again, run nothing.
      this.#suspension = { payload: this.#state.s.p }
      for (const answer of this.#carried.values()) this.#answered.set(answer.i, answer)
      return { kind: 'input', result: await this.#inputRequired() }
    }
    const woken = new Promise<'input'>((resolve) => {
      this.#wake = () => resolve('input')
    })
    const work = Promise.resolve()
      .then(handler)
      .then((value) => ({ value }))
    // A run that was ended for input may still fail later: nobody is waiting for it any more.
    work.catch(() => {})
    const first = await Promise.race([work, woken])
    if (first !== 'input' && !this.#suspension) return { kind: 'complete', value: first.value }
    return { kind: 'input', result: await this.#inputRequired() }
  }

  /**
   * Ends the run once there is something to ask and no question is still being looked up, one
   * turn later: questions asked together (`Promise.all`) go out in one round.
   */
  #scheduleWake(): void {
    if (this.#wakeScheduled || this.#lookingUp > 0) return
    if (this.#asked.length === 0 && !this.#suspension) return
    this.#wakeScheduled = true
    setTimeout(() => {
      this.#wakeScheduled = false
      if (this.#lookingUp > 0) return // the last lookup to finish schedules it again
      this.#wake?.()
    }, 0)
  }

  /** A 2025 session: the question is a server→client request, in a span of its own. */
  #push(method: InputMethod, params: Record<string, unknown>): Promise<unknown> {
    const { mcpReq } = this.#ctx
    return this.#trace.request<unknown>(method, (meta) => {
      if (method === 'elicitation/create') {
        // On the request's own stream (the SDK's helper alone would use the session's GET stream).
        return mcpReq.elicitInput(
          withTraceMeta({ ...(params as ElicitationRequest), mode: 'form' as const }, meta),
          { relatedRequestId: mcpReq.id },
        )
      }
      return mcpReq.send({ method, params: withTraceMeta(params, meta) })
    })
  }

  /** This round's answer to `question`, when the client sent a usable one. */
  async #freshAnswer(question: Question): Promise<unknown> {
    const view = inputResponse(this.#ctx.mcpReq.inputResponses, question.key)
    switch (question.method) {
      case 'elicitation/create': {
        if (view.kind !== 'elicit') return undefined
        if (view.action !== 'accept') return { action: view.action }
        const content = view.content ?? {}
        // As the SDK checks a 2025 answer: accepted content must match the requested form.
        const form = fromJsonSchema(question.params.requestedSchema as Record<string, unknown>)
        const checked = await form['~standard'].validate(content)
        if (checked.issues) return undefined
        return { action: 'accept', content }
      }
      case 'sampling/createMessage':
        return view.kind === 'sampling' ? view.result : undefined
      case 'roots/list':
        return view.kind === 'roots' ? { roots: view.roots } : undefined
    }
  }

  /** Refuses a question the client did not declare it can answer (`-32021`, as the spec says). */
  #requireCapability(method: InputMethod): void {
    const declared = declaredCapabilities(this.#ctx)
    const capability =
      method === 'elicitation/create'
        ? 'elicitation'
        : method === 'sampling/createMessage'
          ? 'sampling'
          : 'roots'
    if (declared?.[capability] !== undefined) return
    throw new MissingRequiredClientCapabilityError(
      { requiredCapabilities: { [capability]: {} } },
      `The client did not declare the ${capability} capability, which ${method} needs.`,
    )
  }

  async #inputRequired(): Promise<InputRequiredResult> {
    const inputRequests: Record<string, InputRequest> = {}
    for (const question of this.#asked) {
      inputRequests[question.key] = embedded(question, this.#trace.meta)
    }
    if (this.#suspension) {
      inputRequests[RESUME_KEY] = inputRequired.elicit({
        message: suspendMessage(this.#suspension.payload, this.#call.name),
        requestedSchema: (this.#resumeForm?.requestedSchema ??
          EMPTY_FORM) as ElicitRequestFormParams['requestedSchema'],
      })
    }
    const state: RoundState = {
      v: 1,
      m: this.#call.method,
      n: this.#call.name,
      a: this.#state?.a ?? (await digestOf(this.#call.args ?? {})),
      q: [...this.#answered.values()].sort((left, right) => left.i - right.i),
      ...(this.#suspension ? { s: { p: this.#suspension.payload } } : {}),
    }
    return inputRequired({ inputRequests, requestState: await this.#codec.mint(state, this.#ctx) })
  }
}

const EMPTY_FORM = { type: 'object', properties: {} }

/**
 * A question as an `input_required` answer embeds it, with the trace context of the request's
 * span in its `_meta` (added here, not to the question: its digest must not change per round).
 */
function embedded(question: Question, meta: TraceMeta | undefined): InputRequest {
  const params = withTraceMeta(question.params, meta)
  switch (question.method) {
    case 'elicitation/create':
      return inputRequired.elicit(params as ElicitationRequest)
    case 'sampling/createMessage':
      return inputRequired.createMessage(params as CreateMessageRequestParams)
    case 'roots/list':
      return meta
        ? { method: 'roots/list', params: { _meta: { ...meta } } }
        : inputRequired.listRoots()
  }
}

/** The message of a suspended tool's form: the payload's `message`, or a plain one. */
function suspendMessage(payload: unknown, name: string): string {
  const message = (payload as { message?: unknown } | null | undefined)?.message
  return typeof message === 'string' && message !== '' ? message : `"${name}" needs more input.`
}

/** The `elicitation` / `sampling` / `roots` a handler gets, asking through `round`. */
export function clientInputOf(round: InputRound): ClientInput {
  return {
    elicitation: {
      sendRequest: (request, options) => round.ask('elicitation/create', request, options),
    },
    sampling: {
      createMessage: (params, options) => round.ask('sampling/createMessage', params, options),
    },
    roots: { list: (options) => round.ask('roots/list', {}, options) },
  }
}
