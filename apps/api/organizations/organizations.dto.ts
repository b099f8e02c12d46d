import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, ValidateIf } from 'class-validator';
import { ORG_ROLES, type OrgRole } from '../../../libs/authz/policy.js';

/** `{org}` in a route (libs/application/organizations/org-resolver.ts). */
export const ORG_PARAM = { name: 'org', description: "The organization's id or slug" } as const;

// Shapes only: the domain's rules (slug form, name lengths) answer 400 with the field named.

/**
 * An optional field that, when sent, must hold a value: `null` is refused
 * (400) rather than read as "leave it as it is", which @IsOptional would do.
 */
const Optional = () => ValidateIf((_object, value: unknown) => value !== undefined);

export class CreateOrganizationDto {
  @ApiProperty({ example: 'acme', pattern: '^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$' })
  @IsString()
  slug!: string;

  @ApiProperty({ example: 'Acme Inc.' })
  @IsString()
  name!: string;
}

/** At least one of the two is required; the controller answers an empty change with 400 naming both. */
export class ChangeOrgSettingsDto {
  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  chatSharingDisabled?: boolean;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  workspaceSharingDisabled?: boolean;
}

export class SetOrgMemberRoleDto {
  @ApiProperty({ enum: ORG_ROLES })
  // A shape only: the decider's rule answers an unknown role 400 INPUT.ROLE naming `role`,
  // as on the workspace and chat routes (README: INPUT.* is answered alike on every route).
  @IsString()
  role!: OrgRole;
}

export class OrgSettingsView {
  @ApiProperty() chatSharingDisabled!: boolean;
  @ApiProperty() workspaceSharingDisabled!: boolean;
}

export class OrgView {
  @ApiProperty() id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() settings!: OrgSettingsView;
}

export class CreatedOrgView {
  @ApiProperty() org!: OrgView;
  @ApiProperty({ description: 'Consistency token of the command' }) position!: string;
}

export class ChangedSettingsView {
  @ApiProperty() settings!: OrgSettingsView;
  @ApiProperty() position!: string;
}

export class OrgMemberView {
  @ApiProperty() userId!: string;
  @ApiProperty({ enum: ORG_ROLES }) role!: OrgRole;
}

export class SetOrgMemberView {
  @ApiProperty() member!: OrgMemberView;
  @ApiProperty() position!: string;
}
