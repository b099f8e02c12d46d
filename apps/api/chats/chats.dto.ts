import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsString, IsUUID, registerDecorator, ValidateIf } from 'class-validator';
import { ACL_ROLES, type AclRole } from '../../../libs/authz/policy.js';
import { type AclChange } from '../../../libs/domain/chat/chat.commands.js';
import {
  ACL_CHANGES,
  CHAT_MESSAGE_MAX,
  isMessageBody,
  MESSAGE_BODY_RULE,
} from '../../../libs/domain/chat/chat.input.js';

// Shapes only, as elsewhere: the decider's rules (title length, who may do what) answer 400 naming
// the field. The message body is the exception: its length is checked here too, so an oversized
// body is refused before any stream is loaded (the decider checks the same again).

/**
 * An optional field that, when sent, must hold a value: `null` is refused
 * (400) rather than read as "leave it out", which @IsOptional would do.
 */
const Optional = () => ValidateIf((_object, value: unknown) => value !== undefined);

/** The chat's own rule (libs/domain/chat/chat.input.ts), checked before any stream is loaded. */
const IsMessageBody = (): PropertyDecorator => (target, propertyName) =>
  registerDecorator({
    name: 'isMessageBody',
    target: target.constructor,
    propertyName: propertyName as string,
    validator: {
      validate: isMessageBody,
      defaultMessage: () => MESSAGE_BODY_RULE,
    },
  });

export class CreateChatDto {
  @ApiProperty({ example: 'Launch plans', maxLength: 200 })
  @IsString()
  title!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A workspace of this org; not for sub-chats' })
  @Optional()
  @IsUUID('all')
  workspaceId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Makes a sub-chat of this chat' })
  @Optional()
  @IsUUID('all')
  parentChatId?: string;
}

export class RenameChatDto {
  @ApiProperty({ example: 'Launch plans (v2)', maxLength: 200 })
  @IsString()
  title!: string;
}

export class PostMessageDto {
  @ApiProperty({ example: 'Shall we ship on Friday?', minLength: 1, maxLength: CHAT_MESSAGE_MAX })
  @IsString()
  @IsMessageBody()
  body!: string;
}

const ACL_MAP = {
  type: 'object' as const,
  additionalProperties: { type: 'string', enum: [...ACL_CHANGES] },
  description: 'By id: the role to give, or "" to remove the entry.',
};

/** The keys and values of each map are checked by AclChangePipe, which names `users.<id>` at fault. */
export class ChangeChatAclDto {
  @ApiPropertyOptional({ ...ACL_MAP, example: { '3f0c0d1e-8a57-4a8e-9a55-2b6f0e5d9c11': 'editor' } })
  @Optional()
  @IsObject()
  users?: Record<string, AclChange>;

  @ApiPropertyOptional(ACL_MAP)
  @Optional()
  @IsObject()
  groups?: Record<string, AclChange>;
}

export class ChatView {
  @ApiProperty() id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ description: "The root's owner (a sub-chat's too), who holds every right on the tree" })
  ownerId!: string;
  @ApiProperty({ description: 'Who created this chat: the owner on a root' }) createdById!: string;
  @ApiProperty({ type: String, nullable: true, description: "The root's workspace, on sub-chats too" })
  workspaceId!: string | null;
  @ApiProperty({ type: String, nullable: true }) parentChatId!: string | null;
  @ApiProperty({ description: 'The chat itself for a root' }) rootChatId!: string;
}

export class ChatAnswer {
  @ApiProperty() chat!: ChatView;
  @ApiProperty({ description: 'Consistency token of the command' }) position!: string;
}

export class MessageView {
  @ApiProperty() id!: string;
  @ApiProperty() chatId!: string;
  @ApiProperty() authorId!: string;
  @ApiProperty() body!: string;
}

export class PostedMessageAnswer {
  @ApiProperty() message!: MessageView;
  @ApiProperty() position!: string;
}

export class AclChangeView {
  @ApiProperty({ enum: ['user', 'group'] }) kind!: 'user' | 'group';
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ACL_ROLES, nullable: true, description: 'null: the entry was removed' })
  role!: AclRole | null;
  @ApiProperty({ enum: ACL_ROLES, nullable: true, description: 'null: there was no entry' })
  previousRole!: AclRole | null;
}

export class ChangedAclAnswer {
  @ApiProperty({
    type: [AclChangeView],
    description: 'What actually changed; an entry already so is left out',
  })
  changes!: AclChangeView[];
  @ApiProperty() position!: string;
}
