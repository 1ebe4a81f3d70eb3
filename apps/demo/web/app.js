// The demo page: plain DOM, no build step. Every API call carries the selected user's token.

const state = {
  users: [],
  user: undefined,
  /** Chat entries per user name, so switching users keeps each conversation. */
  logs: new Map(),
  /** Chats in flight per user name. */
  inFlight: new Map(),
}

const elements = {
  user: document.getElementById('user'),
  log: document.getElementById('log'),
  form: document.getElementById('chat-form'),
  message: document.getElementById('message'),
  pending: document.getElementById('pending'),
  pendingList: document.getElementById('pending-list'),
  pool: document.getElementById('pool'),
  approvalCounts: document.getElementById('approval-counts'),
  servers: document.getElementById('servers'),
  provider: document.getElementById('provider'),
  error: document.getElementById('error'),
}

async function api(path, { method = 'GET', body, user = state.user } = {}) {
  const headers = { accept: 'application/json' }
  if (user) headers.authorization = `Bearer ${user.token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await response.json().catch(() => ({}))
  if (!response.ok) {
    const message = data?.error?.message ?? `HTTP ${response.status}`
    const error = new Error(message)
    error.status = response.status
    throw error
  }
  return data
}

function showError(message) {
  elements.error.textContent = message
  elements.error.hidden = !message
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue
    if (name === 'className') node.className = value
    else node.setAttribute(name, value)
  }
  for (const child of children) {
    if (child === undefined || child === null) continue
    node.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return node
}

function pretty(value) {
  return JSON.stringify(value, null, 2)
}

// ── chat log ─────────────────────────────────────────────────────────────────

function logOf(name) {
  if (!state.logs.has(name)) state.logs.set(name, [])
  return state.logs.get(name)
}

function renderLog() {
  elements.log.replaceChildren()
  if (!state.user) return
  for (const entry of logOf(state.user.name)) elements.log.append(renderEntry(entry))
  if (state.inFlight.get(state.user.name)) {
    elements.log.append(
      element('div', { className: 'message assistant pending', 'data-testid': 'thinking' }, '…'),
    )
  }
  elements.log.scrollTop = elements.log.scrollHeight
}

function renderEntry(entry) {
  if (entry.role === 'user') {
    return element('div', { className: 'message user', 'data-testid': 'user-message' }, entry.text)
  }
  if (entry.role === 'error') {
    return element('div', { className: 'message error', 'data-testid': 'chat-error' }, entry.text)
  }
  const wrapper = element('div', { className: 'turn' })
  for (const call of entry.toolCalls) wrapper.append(renderToolCall(call))
  wrapper.append(
    element(
      'div',
      { className: 'message assistant', 'data-testid': 'assistant-message' },
      entry.text,
    ),
  )
  return wrapper
}

function renderToolCall(call) {
  const approval = call.approval
  const status =
    approval && approval.outcome !== 'approved' ? approval.outcome : call.error ? 'error' : 'ok'
  const badge = approval
    ? element(
        'span',
        { className: `badge ${approval.outcome}`, 'data-testid': 'approval-badge' },
        approval.outcome,
      )
    : undefined
  return element(
    'details',
    {
      className: `tool-call ${status}`,
      'data-testid': 'tool-call',
      'data-tool': call.tool,
      'data-status': status,
    },
    element(
      'summary',
      {},
      element('span', { className: 'tool-name' }, call.tool),
      ' ',
      element('code', {}, JSON.stringify(call.args)),
      ' ',
      badge,
      element('span', { className: 'duration' }, ` ${call.durationMs} ms`),
    ),
    call.error
      ? element('pre', { className: 'tool-error', 'data-testid': 'tool-error' }, call.error)
      : element(
          'pre',
          { className: 'tool-result', 'data-testid': 'tool-result' },
          pretty(call.result),
        ),
  )
}

async function sendMessage(text) {
  const user = state.user
  if (!user || !text.trim()) return
  logOf(user.name).push({ role: 'user', text })
  state.inFlight.set(user.name, (state.inFlight.get(user.name) ?? 0) + 1)
  renderLog()
  // Approvals show up while the chat request is open; look right away.
  void refreshApprovals()
  try {
    const reply = await api('/api/chat', { method: 'POST', body: { message: text }, user })
    logOf(user.name).push({ role: 'assistant', text: reply.reply, toolCalls: reply.toolCalls })
  } catch (error) {
    logOf(user.name).push({ role: 'error', text: error.message })
  } finally {
    state.inFlight.set(user.name, state.inFlight.get(user.name) - 1)
    if (state.user === user) renderLog()
    void refreshApprovals()
    void refreshStats()
  }
}

// ── approvals ────────────────────────────────────────────────────────────────

let renderedPending = ''

async function refreshApprovals() {
  const user = state.user
  if (!user) return
  let pending
  try {
    ;({ pending } = await api('/api/approvals', { user }))
  } catch (error) {
    showError(`Could not load approvals: ${error.message}`)
    return
  }
  if (state.user !== user) return
  const key = JSON.stringify(pending.map((request) => request.id))
  if (key === renderedPending) {
    for (const node of elements.pendingList.querySelectorAll('[data-expires-at]')) {
      node.textContent = expiresText(Number(node.dataset.expiresAt))
    }
    return
  }
  renderedPending = key
  elements.pendingList.replaceChildren(...pending.map(renderPending))
  elements.pending.hidden = pending.length === 0
}

function renderPending(request) {
  const approve = element(
    'button',
    { type: 'button', className: 'approve', 'data-testid': 'approve' },
    'Approve',
  )
  const deny = element(
    'button',
    { type: 'button', className: 'deny', 'data-testid': 'deny' },
    'Deny',
  )
  approve.addEventListener('click', () => settle(request.id, 'approve'))
  deny.addEventListener('click', () => settle(request.id, 'deny'))
  return element(
    'div',
    { className: 'approval', 'data-testid': 'pending-approval', 'data-id': request.id },
    element('span', { className: 'tool-name' }, `${request.serverName}_${request.toolName}`),
    ' ',
    element('code', {}, JSON.stringify(request.args)),
    element(
      'span',
      { className: 'expires', 'data-expires-at': String(request.expiresAt) },
      expiresText(request.expiresAt),
    ),
    approve,
    deny,
  )
}

function expiresText(expiresAt) {
  const seconds = Math.max(0, Math.round((expiresAt - Date.now()) / 1000))
  return ` expires in ${seconds} s `
}

async function settle(id, decision) {
  try {
    await api(`/api/approvals/${encodeURIComponent(id)}/${decision}`, { method: 'POST', body: {} })
    showError('')
  } catch (error) {
    showError(`Could not ${decision}: ${error.message}`)
  }
  renderedPending = ''
  await refreshApprovals()
}

// ── pool stats ───────────────────────────────────────────────────────────────

async function refreshStats() {
  if (!state.user) return
  let status
  try {
    status = await api('/api/pool')
  } catch {
    return
  }
  elements.provider.textContent = status.provider
  for (const node of elements.pool.querySelectorAll('[data-stat]')) {
    node.textContent = String(status.pool[node.dataset.stat] ?? '–')
  }
  for (const node of elements.approvalCounts.querySelectorAll('[data-count]')) {
    node.textContent = String(status.approvals[node.dataset.count] ?? 0)
  }
  // The protocol era each server's client negotiated: 2026-07-28 (modern) or a 2025 revision.
  for (const node of elements.servers.querySelectorAll('[data-server]')) {
    const server = status.servers?.[node.dataset.server]
    node.textContent = server ? `${server.era} (${server.protocolVersion})` : 'not connected yet'
  }
}

// ── wiring ───────────────────────────────────────────────────────────────────

function selectUser(name) {
  state.user = state.users.find((user) => user.name === name)
  renderedPending = ''
  elements.pendingList.replaceChildren()
  elements.pending.hidden = true
  renderLog()
  void refreshApprovals()
  void refreshStats()
}

elements.user.addEventListener('change', () => selectUser(elements.user.value))
elements.form.addEventListener('submit', (event) => {
  event.preventDefault()
  const text = elements.message.value
  elements.message.value = ''
  void sendMessage(text)
})
for (const button of document.querySelectorAll('button.example')) {
  button.addEventListener('click', () => void sendMessage(button.textContent))
}

async function start() {
  try {
    const { users } = await api('/api/users', { user: null })
    state.users = users
  } catch (error) {
    showError(`Could not load the demo users: ${error.message}`)
    return
  }
  elements.user.replaceChildren(
    ...state.users.map((user) => element('option', { value: user.name }, user.name)),
  )
  selectUser(state.users[0]?.name)
  setInterval(refreshApprovals, 700)
  setInterval(refreshStats, 1000)
  document.body.dataset.ready = 'true'
}

void start()
