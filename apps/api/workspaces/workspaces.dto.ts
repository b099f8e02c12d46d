import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../../../libs/authz/policy.js';
import { SLUG_PATTERN } from '../../../libs/domain/kernel/index.js';
import { WORKSPACE_NAME_MAX } from '../../../libs/domain/workspace/workspace.decider.js';

// Shapes only: the workspace decider's rules (slug form, name length, role) answer 400 with the field named.

export class CreateWorkspaceDto {
  @ApiProperty({ example: 'design', pattern: SLUG_PATTERN.source })
  @IsString()
  slug!: string;

  @ApiProperty({ example: 'Design', maxLength: WORKSPACE_NAME_MAX })
  @IsString()
  name!: string;
}

export class SetWorkspaceMemberRoleDto {
  @ApiProperty({ enum: WORKSPACE_ROLES })
  @IsString()
  role!: WorkspaceRole;
}

export class WorkspaceView {
  @ApiProperty() id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the workspace was archived (the archiving event’s time); null unless archived.',
  })
  archivedAt!: string | null;
}

export class WorkspaceAnswer {
  @ApiProperty() workspace!: WorkspaceView;
  @ApiProperty({ description: 'Consistency token of the command' }) position!: string;
}

export class WorkspaceMemberView {
  @ApiProperty() userId!: string;
  @ApiProperty({ enum: WORKSPACE_ROLES }) role!: WorkspaceRole;
}

export class WorkspaceMemberAnswer {
  @ApiProperty() member!: WorkspaceMemberView;
  @ApiProperty({ description: 'Consistency token of the command' }) position!: string;
}
