// Type test, checked by `tsc --noEmit` (npm test runs it first): overrides are typed, so a wrong
// field type, an unknown field or a value outside a CHECK list is a compile error. Never executed.
import type { Factories } from '../../lib/testing/index.js'
import type { User } from '../../models/user.js'
import type { Message } from '../../models/message.js'

export async function factoryTypes (factories: Factories): Promise<void> {
  const coach: User = await factories.user.create({ role: 'coach' })
  const message: Message = await factories.message.assistant().create({ citations: { confidence: 0.5 } })
  const built: string = factories.user.build().email
  void [coach, message, built]

  // @ts-expect-error role must be one of USER_ROLES
  await factories.user.create({ role: 'root' })
  // @ts-expect-error email is a string
  factories.user.build({ email: 42 })
  // @ts-expect-error no such attribute
  await factories.conversation.create({ colour: 'red' })
  // @ts-expect-error feedbackScore is -1, 1 or null
  await factories.message.create({ feedbackScore: 5 })
  // @ts-expect-error expiresAt is a Date
  await factories.session.createList(2, { expiresAt: 'tomorrow' })
  // @ts-expect-error a trait is a method of its own factory only
  factories.user.expired()
}
