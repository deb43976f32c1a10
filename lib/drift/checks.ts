import { USER_ROLES } from '../../models/user.js'
import { CONVERSATION_STATUSES } from '../../models/conversation.js'
import { FEEDBACK_SCORES, MESSAGE_ROLES } from '../../models/message.js'
import { inListCheck } from './sql.js'

/** A CHECK constraint the models expect: its name and `CHECK (…)` definition. */
export interface CheckSpec {
  name: string
  definition: string
}

/**
 * The CHECK constraints behind each model's validators, keyed by model name. Sequelize models have
 * no place for CHECK constraints, so they are declared here, built from the same exported lists
 * the validators use: a value added to USER_ROLES without a migration shows up as drift.
 */
export const MODEL_CHECKS: Readonly<Record<string, readonly CheckSpec[]>> = {
  User: [{ name: 'check_user_role', definition: inListCheck('role', USER_ROLES) }],
  Conversation: [{ name: 'check_conversation_status', definition: inListCheck('status', CONVERSATION_STATUSES) }],
  Message: [
    { name: 'check_message_role', definition: inListCheck('role', MESSAGE_ROLES) },
    { name: 'check_message_feedback', definition: inListCheck('feedback_score', FEEDBACK_SCORES) },
    { name: 'check_message_tokens', definition: 'CHECK (input_tokens >= 0 AND output_tokens >= 0)' }
  ]
}
