import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server'

/**
 * One session's view of an `EventStore` shared by every session (and, with a Redis store, every
 * process). The SDK names a session's standalone GET stream `_GET_stream` in every session, so
 * an unscoped shared store would replay one session's notifications to another: here each
 * stream id is prefixed with the session id, and a `Last-Event-ID` of another session is
 * refused before anything is replayed.
 */
export function sessionEventStore(
  store: EventStore,
  sessionId: () => string | undefined,
): EventStore {
  const scope = () => {
    const id = sessionId()
    if (id === undefined) throw new Error('an event was stored before the session had an id')
    return `${id}/`
  }
  return {
    storeEvent: (streamId: string, message: JSONRPCMessage) =>
      store.storeEvent(scope() + streamId, message),
    async replayEventsAfter(lastEventId, { send }) {
      const prefix = scope()
      // Held back until the store names the stream, so nothing of another session goes out.
      const replayed: [string, JSONRPCMessage][] = []
      const streamId = await store.replayEventsAfter(lastEventId, {
        send: async (eventId, message) => {
          replayed.push([eventId, message])
        },
      })
      if (!streamId.startsWith(prefix)) {
        throw new Error('Last-Event-ID does not belong to this session')
      }
      for (const [eventId, message] of replayed) await send(eventId, message)
      return streamId.slice(prefix.length)
    },
  }
}
