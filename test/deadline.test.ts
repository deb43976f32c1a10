import { fileTest } from './helpers/file-test.js'
import { createServer, connect, type AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { deadline } from '../lib/deadline.js'

const t = fileTest()

function blockEventLoop (ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) {} // the kernel goes on meanwhile: connects complete, data arrives
}

t.test('I/O that arrived while the event loop was blocked wins over a deadline that passed meanwhile', async t => {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const events: string[] = []
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
  t.teardown(() => { socket.destroy() })
  const timer = deadline(50, () => { events.push('expired') })
  socket.once('connect', () => { events.push('connected'); timer.cancel() })
  blockEventLoop(300)
  await pastDeadline(50)
  t.same(events, ['connected'])
})

// A turn later than the timer: on a busy machine this sleep's timer can come due in the same turn
// as the deadline's, and the deadline then decides after that turn's I/O, by design.
async function pastDeadline (ms: number): Promise<void> {
  await sleep(ms)
  await new Promise(resolve => setImmediate(resolve))
}

t.test('with nothing arriving it expires, once', async t => {
  let expired = 0
  deadline(20, () => { expired++ })
  await pastDeadline(100)
  t.equal(expired, 1)
  let cancelled = 0
  deadline(20, () => { cancelled++ }).cancel()
  await pastDeadline(60)
  t.equal(cancelled, 0, 'a cancelled one never fires')
})
