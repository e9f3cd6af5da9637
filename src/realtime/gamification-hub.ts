// The /ws/gamification fan-out (original-gateway.md §4.1): `{type, data, timestamp}` frames to
// every subscribed browser. A frame is serialised once for all clients; a client whose socket
// backs up past the limit is dropped so it can never slow the others down.
import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import type { Frame } from '../platform/events/frame.js'
import { StallGuard } from '../platform/http/stall-guard.js'

interface Client {
  id: string
  socket: WebSocket
  topics: Set<string>
  guard: StallGuard
}

const CHANNEL = 'gamification'
const OPEN = 1

export class GamificationHub {
  private readonly clients = new Map<string, Client>()

  constructor(
    private readonly cluster: ClusterChannel,
    private readonly backlog: { maxBufferedBytes: number; stallMs: number },
  ) {
    cluster.on(CHANNEL, (payload) => this.deliver(payload, JSON.parse(payload) as { type: string }))
  }

  get clientCount(): number {
    return this.clients.size
  }

  /** Takes a new browser connection: greets it and serves its commands. */
  connect(socket: WebSocket): void {
    const client: Client = {
      id: randomUUID(),
      socket,
      topics: new Set(['all']),
      guard: new StallGuard(this.backlog.maxBufferedBytes, this.backlog.stallMs),
    }
    this.clients.set(client.id, client)
    socket.on('close', () => this.clients.delete(client.id))
    socket.on('error', () => this.drop(client))
    socket.on('message', (raw) => this.command(client, raw.toString()))
    this.sendTo(client, { type: 'connected', data: { message: 'Connected to gamification WebSocket', client_id: client.id } })
  }

  /** To this instance's clients only (for messages every instance derives by itself). */
  broadcastLocal(message: Frame): void {
    this.deliver(frameOf(message), message)
  }

  /** To the clients of every gateway instance. */
  broadcast(message: Frame): void {
    const frame = frameOf(message)
    this.deliver(frame, message)
    this.cluster.send(CHANNEL, frame)
  }

  closeAll(): void {
    for (const client of this.clients.values()) client.socket.close(1001, 'server shutting down')
    this.clients.clear()
  }

  private deliver(frame: string, message: { type: string }): void {
    for (const client of this.clients.values()) {
      if (!client.topics.has('all') && !client.topics.has(message.type)) continue
      if (client.socket.readyState !== OPEN) continue
      if (!client.guard.keeps(client.socket.bufferedAmount)) {
        this.drop(client)
        continue
      }
      client.socket.send(frame)
    }
  }

  private command(client: Client, text: string): void {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      this.sendTo(client, { type: 'error', data: { message: 'Frames must be JSON objects like {"command":"ping"}' } })
      return
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.sendTo(client, { type: 'error', data: { message: 'Frames must be JSON objects like {"command":"ping"}' } })
      return
    }
    const { command, topics } = message as { command?: unknown; topics?: unknown }
    switch (command) {
      case 'subscribe': {
        const list = Array.isArray(topics) && topics.every((t) => typeof t === 'string') ? (topics as string[]) : ['all']
        client.topics = new Set(list.length > 0 ? list : ['all'])
        this.sendTo(client, { type: 'subscribed', data: { topics: [...client.topics] } })
        return
      }
      case 'ping':
        this.sendTo(client, { type: 'pong', data: { timestamp: Date.now() / 1000 } })
        return
      case 'get_stats':
        // Other clients' ids are not this client's business (the original leaked them).
        this.sendTo(client, { type: 'stats', data: { active_connections: this.clients.size, client_id: client.id, topics: [...client.topics] } })
        return
      default:
        this.sendTo(client, { type: 'error', data: { message: `Unknown command: ${String(command ?? null)}` } })
    }
  }

  private sendTo(client: Client, message: Frame): void {
    if (client.socket.readyState === OPEN) client.socket.send(frameOf(message))
  }

  private drop(client: Client): void {
    this.clients.delete(client.id)
    client.socket.terminate()
  }
}

export function frameOf(message: Frame): string {
  return JSON.stringify({ type: message.type, data: message.data, timestamp: Date.now() / 1000 })
}
