// Which gateway instances listen on one deployment's cluster channel. An instance alone on its
// database sends no notifications: they cost PostgreSQL about a fifth of its CPU per run, to
// tell nobody.
//
// Membership is a shared advisory lock that each instance's channel connection takes once it
// LISTENs, and that PostgreSQL drops with the connection; pg_locks shows who holds it. Believing
// itself alone wrongly would cost other instances live events, so the belief errs towards "not
// alone": a joining instance says hello and waits until those it saw have answered (they stop
// believing themselves alone before they answer), and a look at pg_locks that began before a
// hello does not make anyone alone.

/** The lock's first key, the same for every deployment; the second is the channel's name, hashed. */
const MEMBERSHIP_CLASS = 1_129_531_223

/** Takes the membership lock (parameter: `membershipKey`); to be run after LISTEN. */
export const JOIN_MEMBERSHIP = `select pg_advisory_lock_shared(${MEMBERSHIP_CLASS}, $1::int4)`

/** The backends, other than this connection's, that hold the membership lock (parameter: `membershipKey`). */
export const OTHER_MEMBERS = `select pid from pg_locks
  where locktype = 'advisory' and granted and pid <> pg_backend_pid()
    and database = (select oid from pg_database where datname = current_database())
    and classid = ${MEMBERSHIP_CLASS}::int8::oid and objid = ($1::int4::int8 & 4294967295)::oid and objsubid = 2`

/** The channel name's 32-bit FNV-1a hash, as PostgreSQL's int4 takes it. */
export function membershipKey(channel: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < channel.length; i++) hash = Math.imul(hash ^ channel.charCodeAt(i), 0x01000193)
  return hash | 0
}

/** What this instance believes: whether it is alone, and which looks at pg_locks may still change that. */
export class MembershipBelief {
  private alone = false
  private generation = 0

  get isAlone(): boolean {
    return this.alone
  }

  /**
   * Looks at the other holders of the membership lock with `others`. Finding some makes this
   * instance not alone; finding none makes it alone only if nothing happened since the look began.
   */
  async look(others: () => Promise<number[]>): Promise<number[]> {
    const generation = this.generation
    const found = await others()
    if (found.length > 0) this.alone = false
    else if (generation === this.generation) this.alone = true
    return found
  }

  /** Another instance said hello, or this one lost its connection: not alone, and looks under way are stale. */
  notAlone(): void {
    this.generation++
    this.alone = false
  }
}

/** A joining instance's hello: done once every instance it saw has answered, or gone. */
export class Greeting {
  private readonly unanswered: Set<number>
  private finish = () => {}
  readonly done = new Promise<void>((resolve) => (this.finish = resolve))

  /** `members`: the backends of the instances seen holding the membership lock. */
  constructor(members: readonly number[]) {
    this.unanswered = new Set(members)
    this.settleIfDone()
  }

  /** Instances that have not answered (yet). */
  get waitingFor(): number {
    return this.unanswered.size
  }

  answered(member: number): void {
    this.unanswered.delete(member)
    this.settleIfDone()
  }

  /** Another look at the lock's holders: those gone will not answer. */
  stillThere(members: readonly number[]): void {
    for (const member of this.unanswered) if (!members.includes(member)) this.unanswered.delete(member)
    this.settleIfDone()
  }

  /** Stops waiting (time is up, or the connection is gone). */
  giveUp(): void {
    this.finish()
  }

  private settleIfDone(): void {
    if (this.unanswered.size === 0) this.finish()
  }
}
